import { readdirSync, readFileSync } from 'node:fs'

/**
 * A shell run whose process group holds four processes: the shell itself (the group's
 * leader), a background `sleep 1000`, and a subshell with its own `sleep 1000` (a grandchild).
 * It prints "leader PID" once all are started. `sleep` is started in the background so that
 * the shell stays the leader (a last command would be exec'd in its place).
 */
export const TREE_COMMAND = `sleep 1000 & (sleep 1000 & wait) & echo "leader $$"; wait`
export const TREE_SIZE = 4

export interface ProcessIdentity {
  readonly pid: number
  readonly startTicks: string
}

function stat(pid: number | string): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** The living (not zombie) members of process group `pgid`, read from /proc. */
export function groupMembers(pgid: number): ProcessIdentity[] {
  const members: ProcessIdentity[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = stat(entry)
    if (fields && Number(fields[2]) === pgid && fields[0] !== 'Z') members.push({ pid: Number(entry), startTicks: fields[19]! })
  }
  return members
}

/** Whether this very process (same pid, same start time) is still alive; a zombie counts as ended. */
export function stillAlive(process: ProcessIdentity): boolean {
  const fields = stat(process.pid)
  return fields !== null && fields[0] !== 'Z' && fields[19] === process.startTicks
}

/** The state letter of process `pid` (R, S, T for stopped, Z…), undefined if there is none. */
export function processState(pid: number): string | undefined {
  return stat(pid)?.[0]
}

/** Polls until `condition` holds; a generous bound only turns a hang into a failure. */
export async function eventually(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Waits for `pgid` to hold `size` living processes, and returns them. */
export async function wholeGroup(pgid: number, size = TREE_SIZE): Promise<ProcessIdentity[]> {
  await eventually(() => groupMembers(pgid).length >= size, `process group ${pgid} to hold ${size} processes`)
  return groupMembers(pgid)
}

/** The processes whose parent is `pid`. */
export function childrenOf(pid: number): ProcessIdentity[] {
  const children: ProcessIdentity[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = stat(entry)
    if (fields && Number(fields[1]) === pid && fields[0] !== 'Z') children.push({ pid: Number(entry), startTicks: fields[19]! })
  }
  return children
}

/** Whether process `pid` is an orphan reaper (its command line names it). */
export function isReaper(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('taskdeck-reaper')
  } catch {
    return false
  }
}

/** The orphan reaper `pid` started (its child whose command line names it), once it has started. */
export async function reaperOf(pid: number): Promise<ProcessIdentity> {
  const find = () => childrenOf(pid).find((child) => isReaper(child.pid))
  await eventually(() => find() !== undefined, `process ${pid} to start its reaper`)
  return find()!
}

/** Kills what a failed test may have left behind (by identity: never a process that merely reuses a pid). */
export function killLeftovers(processes: readonly ProcessIdentity[]): void {
  for (const process of processes) {
    if (!stillAlive(process)) continue
    try {
      globalThis.process.kill(process.pid, 'SIGKILL')
    } catch {
      // Gone meanwhile.
    }
  }
}
