import type { TaskStatus } from '../../src-shared/index.ts'

/** An i18n lookup: the renderer's `t`. */
export type Translate = (key: string, values?: Record<string, string | number>) => string

const STATUS_WORDS: Readonly<Record<string, TaskStatus>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed_out',
  'timed out': 'timed_out',
  interrupted: 'interrupted',
  running: 'running',
  paused: 'paused',
}

/**
 * The engine's sentences about runs and its event loop (a reason a run ended, a loop lane's
 * detail) in the UI's language, with times in the user's clock instead of ISO strings. The
 * engine writes them in English for every client (the CLI prints them); the UI recognises the
 * ones it knows and says them itself. One it does not know (a script's own error, a future
 * wording) is shown as the engine wrote it, never dropped.
 */
export function localizeEngineSentence(text: string, t: Translate, formatTime: (at: number) => string): string {
  const again = (inner: string) => localizeEngineSentence(inner, t, formatTime)
  const at = (iso: string) => {
    const ms = Date.parse(iso)
    return Number.isNaN(ms) ? iso : formatTime(ms)
  }
  let m: RegExpMatchArray | null
  if ((m = text.match(/^exited with code (-?\d+)( \(command not found\))?$/))) return t(m[2] ? 'engine.exitedNotFound' : 'engine.exited', { code: Number(m[1]) })
  if ((m = text.match(/^killed by (\w+)$/))) return t('engine.killedBy', { signal: m[1]! })
  if (text === 'cancelled by user') return t('engine.cancelled')
  if ((m = text.match(/^timed out after (.+)$/))) return t('engine.timedOut', { after: m[1]! })
  if (text === 'Taskdeck stopped while this run was running') return t('engine.interrupted')
  if (text === 'the worker running it was lost') return t('engine.workerLost')
  if ((m = text.match(/^dependency #(\d+) no longer exists$/))) return t('engine.dependencyGone', { id: Number(m[1]) })
  if ((m = text.match(/^dependency #(\d+) (failed|cancelled|timed out|interrupted)(?:: (.*))?$/))) {
    const ended = t('engine.dependencyEnded', { id: Number(m[1]), status: t(`engine.dependencyStatus.${STATUS_WORDS[m[2]!]!}`) })
    return m[3] ? `${ended}: ${again(m[3])}` : ended
  }
  // Loop lanes.
  if ((m = text.match(/^delivering · (.*)$/))) return `${t('engine.delivering')} · ${again(m[1]!)}`
  if ((m = text.match(/^(running|paused) since (\S+)(?: · pid (\d+))?$/))) {
    const since = t(m[1] === 'running' ? 'engine.runningSince' : 'engine.pausedSince', { time: at(m[2]!) })
    return m[3] ? `${since} · pid ${m[3]}` : since
  }
  if ((m = text.match(/^(succeeded|failed|cancelled|timed_out|interrupted)(?:: (.*))?$/))) {
    const status = t(`status.${STATUS_WORDS[m[1]!]!}`)
    return m[2] ? `${status}: ${again(m[2])}` : status
  }
  if (text === 'paused: everything is paused') return t('engine.allPaused')
  if ((m = text.match(/^paused: group (\S+) is paused$/))) return t('engine.groupPaused', { group: m[1]! })
  if ((m = text.match(/^group limit: (\S+) runs (\d+) of (\d+)$/))) return t('engine.groupFull', { group: m[1]!, running: Number(m[2]), parallel: Number(m[3]) })
  if ((m = text.match(/^group limit: (\S+)$/))) return t('engine.groupLimit', { group: m[1]! })
  if ((m = text.match(/^position (\d+) in (\S+)$/))) return t('engine.position', { n: Number(m[1]), group: m[2]! })
  if ((m = text.match(/^dependency: after (.+)$/))) return t('engine.after', { ids: m[1]! })
  if ((m = text.match(/^delay: until (\S+)$/))) return t('engine.delayUntil', { time: at(m[1]!) })
  if ((m = text.match(/^backoff: attempt (\d+) at (\S+)$/))) return t('engine.backoff', { attempt: Number(m[1]), time: at(m[2]!) })
  if ((m = text.match(/^paused \((task|group|all)\)$/))) return t(`engine.paused.${m[1]!}`)
  return text
}
