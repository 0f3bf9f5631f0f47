import type { TrayIconState } from './tray.ts'

/** electron-builder's appId; Windows also needs it as the AppUserModelID for notifications to show. */
export const APP_ID = 'dev.taskdeck.app'

/**
 * Where the app's own files are, in development (the repository) and packaged
 * (electron-builder copies resources/tray and resources/icons next to app.asar, as
 * `extraResources`, because the OS tray and notification code reads real files).
 */
export interface ResourceContext {
  isPackaged: boolean
  /** process.resourcesPath: …/Taskdeck.app/Contents/Resources, …/resources. */
  resourcesPath: string
  /** app.getAppPath(): the repository root in development. */
  appPath: string
}

export const TRAY_ICON_STATES: readonly TrayIconState[] = ['idle', 'running', 'failed']

const join = (...parts: string[]): string => parts.join('/').replace(/\/{2,}/g, '/')

export function resourceDir(kind: 'tray' | 'icons', context: ResourceContext): string {
  return context.isPackaged ? join(context.resourcesPath, kind) : join(context.appPath, 'resources', kind)
}

/**
 * macOS takes black-and-clear "Template" images that follow the menu bar's colour (the
 * name must end in Template; the @2x file is found next to it); Windows takes .ico with
 * every size inside; Linux takes a PNG (with @2x for HiDPI).
 */
export function trayIconFileName(state: TrayIconState, platform: string): string {
  if (platform === 'darwin') return `tray-${state}Template.png`
  if (platform === 'win32') return `tray-${state}.ico`
  return `tray-${state}.png`
}

export function trayIconPath(state: TrayIconState, platform: string, context: ResourceContext): string {
  return join(resourceDir('tray', context), trayIconFileName(state, platform))
}

/** The window icon (Linux and Windows; macOS uses the bundle's .icns). */
export function windowIconPath(platform: string, context: ResourceContext): string | undefined {
  if (platform === 'darwin') return undefined
  return join(resourceDir('icons', context), platform === 'win32' ? 'icon.ico' : '512x512.png')
}
