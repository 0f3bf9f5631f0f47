import { APP_HOST, APP_SCHEME } from './appProtocol.ts'

/**
 * Who may talk to main and where the window may go. Electron hands these checks raw,
 * possibly hostile values (a frame's URL, a link's href); every answer is a plain yes/no.
 */

/** What the IPC handler knows about the frame that sent a message. */
export interface SenderFrameFacts {
  /** `event.senderFrame?.url`; undefined when the frame is gone. */
  url: string | undefined
  /** True only for the window's top-level frame (`senderFrame.parent === null`). */
  isTopLevel: boolean
}

/** `http://localhost:5173` style origins accepted in development (electron-vite dev server). */
export interface TrustOptions {
  devServerOrigin?: string | undefined
}

function parse(url: string): URL | null {
  return URL.canParse(url) ? new URL(url) : null
}

/** Is this URL one of our own UI pages (app://bundle, or the dev server in development)? */
export function isAppUrl(url: string, options: TrustOptions = {}): boolean {
  const parsed = parse(url)
  if (!parsed || parsed.username || parsed.password) return false
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true
  const dev = options.devServerOrigin ? parse(options.devServerOrigin) : null
  return dev !== null && parsed.protocol === dev.protocol && parsed.host === dev.host
}

/** Every IPC message must come from our own top-level frame showing our own UI. */
export function isTrustedSender(frame: SenderFrameFacts, options: TrustOptions = {}): boolean {
  return frame.isTopLevel && frame.url !== undefined && isAppUrl(frame.url, options)
}

/** Sites the UI may open in the system browser; everything else is dropped. */
export const EXTERNAL_LINK_HOSTS: readonly string[] = ['github.com', 'www.electronjs.org', 'crontab.guru']

/** Only plain https links to an allowlisted host, without credentials or odd ports, leave the app. */
export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_LINK_HOSTS): boolean {
  if (url.length > 2048) return false
  const parsed = parse(url)
  if (!parsed) return false
  return parsed.protocol === 'https:' && !parsed.username && !parsed.password && parsed.port === '' && hosts.includes(parsed.hostname)
}

export type NavigationDecision = { kind: 'deny' } | { kind: 'open-external'; url: string }

/** In-window navigation and window.open are always denied; allowlisted links go to the system browser. */
export function decideNavigation(url: string, hosts: readonly string[] = EXTERNAL_LINK_HOSTS): NavigationDecision {
  return isAllowedExternalUrl(url, hosts) ? { kind: 'open-external', url: new URL(url).href } : { kind: 'deny' }
}

/**
 * Permissions the UI may use. Only writing to the clipboard (the "copy" buttons), and only
 * from our own page; camera, microphone, geolocation, notifications (main shows those)
 * and everything else are denied.
 */
const GRANTED_PERMISSIONS: readonly string[] = ['clipboard-sanitized-write']

export function isPermissionGranted(permission: string, requestingUrl: string, options: TrustOptions = {}): boolean {
  return GRANTED_PERMISSIONS.includes(permission) && isAppUrl(requestingUrl, options)
}
