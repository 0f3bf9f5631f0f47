import type { BrowserWindowConstructorOptions, Session, Shell, WebContents } from 'electron'
import { decideNavigation, isPermissionGranted, type TrustOptions } from '../../src-shared/decisions/trust.ts'

export interface MainWindowOptions {
  preloadPath: string
  bounds: { x: number; y: number; width: number; height: number }
  icon?: string | undefined
  backgroundColor: string
}

/**
 * Our one window, with Electron's security checklist applied. Every web preference is
 * stated even where it is the default, so a changed default or a stray override shows up
 * in review; the literal stays inside `new BrowserWindow(…)` so Electronegativity can read
 * it. (The parameter carries Electron's class name for the same reason.)
 */
export function createMainWindow<W>(BrowserWindow: new (options: BrowserWindowConstructorOptions) => W, options: MainWindowOptions): W {
  return new BrowserWindow({
    ...options.bounds,
    minWidth: 640,
    minHeight: 420,
    show: false,
    title: 'Taskdeck',
    backgroundColor: options.backgroundColor,
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // A middle click would otherwise open a link in a new window without `window.open`.
      disableBlinkFeatures: 'Auxclick',
    },
  })
}

type OpenExternal = Pick<Shell, 'openExternal'>['openExternal']

/**
 * The page may never leave our UI: navigation, redirects and new windows are denied;
 * an allowlisted https link goes to the system browser instead. <webview> is refused.
 */
export function guardWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, openExternal: OpenExternal): void {
  const redirectOutside = (event: { preventDefault(): void }, url: string) => {
    event.preventDefault()
    const decision = decideNavigation(url)
    if (decision.kind === 'open-external') void openExternal(decision.url).catch(() => undefined)
  }
  contents.on('will-navigate', (event) => redirectOutside(event, event.url))
  contents.on('will-redirect', (event) => redirectOutside(event, event.url))
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideNavigation(url)
    if (decision.kind === 'open-external') void openExternal(decision.url).catch(() => undefined)
    return { action: 'deny' }
  })
}

/** Permission requests and checks are denied unless the pure rule grants them (clipboard write from our page). */
export function guardSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>, trust: TrustOptions): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isPermissionGranted(permission, details.requestingUrl || contents.getURL(), trust))
  })
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isPermissionGranted(permission, requestingOrigin, trust))
}
