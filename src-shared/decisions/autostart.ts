import { LANGUAGES } from './language.ts'
import { DESKTOP_STRINGS } from './strings.ts'

/**
 * Start at login. macOS and Windows have `app.setLoginItemSettings`; Linux desktops read
 * XDG autostart entries (~/.config/autostart/*.desktop), written from this text.
 */
export interface AutostartEntryInput {
  /** The program to start: $APPIMAGE for an AppImage (the mounted executable moves each launch), else process.execPath. */
  executable: string
  args?: readonly string[]
  name?: string
  comment?: string
  icon?: string
}

export const AUTOSTART_FILE_NAME = 'taskdeck.desktop'
/** Passed on login starts so the app opens in the tray instead of showing its window. */
export const HIDDEN_START_FLAG = '--hidden'

/**
 * Quotes one argument for a desktop entry's Exec key (Desktop Entry Specification,
 * "The Exec key"): reserved characters force double quotes, inside which ", `, $ and \
 * are backslash-escaped; % is doubled because it introduces field codes.
 */
export function quoteExecArg(arg: string): string {
  const escapedPercent = arg.replace(/%/g, '%%')
  if (escapedPercent !== '' && !/[\s"'\\><~|&;$*?#()`=]/.test(escapedPercent)) return escapedPercent
  return `"${escapedPercent.replace(/(["`$\\])/g, '\\$1')}"`
}

/** A single-line value for a key: newlines would start a new key, so they are escaped. */
const value = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')

export function autostartDesktopEntry(input: AutostartEntryInput): string {
  const exec = [input.executable, ...(input.args ?? [HIDDEN_START_FLAG])].map(quoteExecArg).join(' ')
  // Exec values are themselves escaped once more as strings (the spec's two levels of escaping).
  const execValue = exec.replace(/\\/g, '\\\\')
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${value(input.name ?? 'Taskdeck')}`,
    // The desktop shows the comment in the user's language (Comment[ko]) when it has one.
    ...(input.comment !== undefined
      ? [`Comment=${value(input.comment)}`]
      : LANGUAGES.map((language) => `Comment${language === 'en' ? '' : `[${language}]`}=${value(DESKTOP_STRINGS[language].appDescription)}`)),
    `Exec=${execValue}`,
    ...(input.icon ? [`Icon=${value(input.icon)}`] : []),
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    'NoDisplay=true',
  ]
  return `${lines.join('\n')}\n`
}

export type LoginItemPlan =
  | { kind: 'login-item'; openAtLogin: boolean; args: string[] }
  | { kind: 'xdg-autostart'; enabled: boolean; content: string | null }
  | { kind: 'unsupported' }

/** How to apply the `startAtLogin` setting on this platform. */
export function planStartAtLogin(platform: string, enabled: boolean, executable: string): LoginItemPlan {
  if (platform === 'darwin' || platform === 'win32') return { kind: 'login-item', openAtLogin: enabled, args: enabled ? [HIDDEN_START_FLAG] : [] }
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    return { kind: 'xdg-autostart', enabled, content: enabled ? autostartDesktopEntry({ executable, icon: 'taskdeck' }) : null }
  }
  return { kind: 'unsupported' }
}
