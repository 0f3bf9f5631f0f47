import { DESKTOP_VIEWS, type DesktopIntent } from './intents.ts'

/**
 * A second launch (or a `taskdeck://` link from a browser, a chat, a mail) hands us argv
 * from outside: untrusted input. Only navigation requests are understood; nothing arriving
 * this way can submit, cancel or change anything, because any web page can fire a link.
 *
 * Understood forms:
 *   taskdeck://task/42          open task 42
 *   taskdeck://view/settings    open a view (tasks, loop, dashboard, settings)
 *   taskdeck://new              quick add
 *   --open-task=42  --view=loop  --quick-add
 */
export const DEEP_LINK_SCHEME = 'taskdeck'

const VIEWS = DESKTOP_VIEWS
const MAX_ARGS = 64
const MAX_ARG_CHARS = 2048
const TASK_ID = /^[1-9][0-9]{0,14}$/

export interface LaunchRequest {
  intents: DesktopIntent[]
  /** Arguments that looked like requests but were refused, with why (for the log). */
  rejected: Array<{ arg: string; reason: string }>
}

function taskIntent(text: string): DesktopIntent | string {
  if (!TASK_ID.test(text)) return `"${text.slice(0, 32)}" is not a task id`
  const taskId = Number(text)
  return Number.isSafeInteger(taskId) ? { kind: 'open-task', taskId } : `task id ${text} is too large`
}

function viewIntent(text: string): DesktopIntent | string {
  const view = VIEWS.find((v) => v === text)
  return view ? { kind: 'open-view', view } : `unknown view "${text.slice(0, 32)}"`
}

/** Parses one `taskdeck://…` link into an intent, or says why not. */
export function parseDeepLink(link: string): DesktopIntent | string {
  if (link.length > MAX_ARG_CHARS) return 'link too long'
  if (!URL.canParse(link)) return 'not a URL'
  const url = new URL(link)
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) return `not a ${DEEP_LINK_SCHEME}:// link`
  if (url.username || url.password || url.search || url.hash) return 'links take no credentials, query or fragment'
  // taskdeck://task/42 parses as host "task", path "/42"; accept an optional trailing slash.
  const parts = [url.host, ...url.pathname.split('/')].filter((p) => p !== '')
  const [what, arg, ...rest] = parts
  if (rest.length > 0) return 'too many path segments'
  if (what === 'task' && arg !== undefined) return taskIntent(arg)
  if (what === 'view' && arg !== undefined) return viewIntent(arg)
  if (what === 'new' && arg === undefined) return { kind: 'quick-add' }
  return `unknown link ${JSON.stringify(link.slice(0, 64))}`
}

function parseFlag(arg: string): DesktopIntent | string | null {
  if (arg === '--quick-add') return { kind: 'quick-add' }
  const match = /^--(open-task|view)=(.*)$/.exec(arg)
  if (!match) return null
  return match[1] === 'open-task' ? taskIntent(match[2] ?? '') : viewIntent(match[2] ?? '')
}

/**
 * Reads argv (as received by `second-instance`, or `process.argv` at first launch) and
 * keeps what it understands. Everything else (Chromium switches, the executable path,
 * `--home`) is ignored silently; malformed requests are reported in `rejected`.
 */
export function parseLaunchArgs(argv: readonly unknown[]): LaunchRequest {
  const request: LaunchRequest = { intents: [], rejected: [] }
  for (const raw of argv.slice(0, MAX_ARGS)) {
    if (typeof raw !== 'string') continue
    const arg = raw.length > MAX_ARG_CHARS ? raw.slice(0, MAX_ARG_CHARS) : raw
    const outcome = arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`) ? parseDeepLink(raw) : parseFlag(arg)
    if (outcome === null) continue
    if (typeof outcome === 'string') request.rejected.push({ arg: arg.slice(0, 128), reason: outcome })
    else request.intents.push(outcome)
  }
  return request
}

/** `--home=/path` or `--home /path`; the data directory override at first launch. */
export function homeFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg.startsWith('--home=')) return arg.slice('--home='.length) || undefined
    if (arg === '--home') return argv[i + 1]
  }
  return undefined
}
