import { Fragment, useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import type { TFunction } from 'i18next'
import { LIMITS, isFinished, type Run, type Task, type TaskSpec, type WaitReason } from '../../src-shared/index.ts'
import { runEnd } from '../../src-shared/run-end.ts'
import { DependencyGraph } from './DependencyGraph.tsx'
import { ActionButton, EmptyState, StatusBadge, formatClock, formatTime, useDuration, useEngineSentences } from '../components/common.tsx'
import type { CommandId } from '../streams/keymap.ts'
import { reasonSaysStatus, sentenceCase } from '../streams/engine-sentences.ts'
import { snapshotOnActivity$, touchesGroupQueue } from '../streams/loop.ts'
import { useObservableState } from '../hooks/observable.ts'
import { filter, interval, map, merge, timer } from 'rxjs'
import { runsOfTask, type AppState } from '../streams/state.ts'
import { heldConditions } from '../../src-shared/decisions/machine.ts'
import { commandText } from '../streams/tasks-query.ts'
import { LogViewer } from './LogViewer.tsx'
import { runNumber } from '../streams/run-number.ts'
import { RunCompare, type ComparePair } from './RunCompare.tsx'
import { EDITABLE } from './NewTaskView.tsx'
import { RunUsage } from './RunUsage.tsx'
import { IS_MAC, useModel, useStore } from './context.ts'
import { lineToSend, stdinState, type StdinState } from '../streams/stdin.ts'
import { MAX_FAVOURITES, addFavourite, displayAccelerator, favouriteAccelerator, removeFavourite } from '../streams/favourites.ts'
import { FAVOURITES_KEY, favouritesProblem, useChangeFavourites } from './favourites-change.ts'

type Tab = 'output' | 'result' | 'definition' | 'runs'
const TAB_PANEL_ID = 'detail-tab-panel'
const tabId = (tab: Tab) => `detail-tab-${tab}`

export function TaskDetail({ taskId, runId, run }: { taskId: number; runId: number | undefined; run: (id: CommandId) => void }) {
  const { t } = useTranslation()
  const formatDuration = useDuration()
  const { conditions } = useEngineSentences()
  const model = useModel()
  const state = useStore(model.state)
  const pending = useStore(model.pending)
  const [chosenTab, setTab] = useState<Tab>('output')
  const [comparing, setComparing] = useState<ComparePair | null>(null)
  const task = state.tasks.get(taskId)
  const runs = useMemo(() => runsOfTask(state.runs, taskId), [state.runs, taskId])
  if (!task) return <aside className="detail">{<EmptyState title={t('detail.missing', { id: taskId })} />}</aside>
  const shownRun = runs.find((r) => r.id === runId) ?? runs[0] ?? null
  const wait = task.waitingFor ?? heldInQueue(task, state)
  // What a script returned (its run's result) has a tab of its own when there is one.
  const hasResult = shownRun !== null && shownRun.result !== null
  const tabs: Tab[] = hasResult ? ['output', 'result', 'definition', 'runs'] : ['output', 'definition', 'runs']
  const tab = tabs.includes(chosenTab) ? chosenTab : 'output'
  const busy = (command: string) => [...pending].some((k) => k.startsWith(`${command}:`) && k.split(':')[1]?.split(',').includes(String(task.id)))

  return (
    <aside className="detail" aria-label={t('detail.label', { id: task.id })}>
      <header className="detail-head">
        <div className="detail-title">
          <StatusBadge status={task.status} />
          {/* Under the Tasks view's h1. */}
          <h2>
            <span className="detail-id">#{task.id}</span> {task.name}
          </h2>
          <button type="button" className="btn btn-ghost icon close" aria-label={t('detail.close')} title={`${t('detail.close')} (Esc)`} onClick={() => model.route.set({ view: 'tasks' })}>
            ×
          </button>
        </div>
        {/* Focusable: a long command scrolls within its box, and the keyboard must reach it (axe: scrollable-region-focusable). */}
        <code className="detail-command" tabIndex={0}>
          {commandText(task, (count, url) => t('tasks.urls', { count, url }))}
        </code>
        <FailureBanner task={task} run={shownRun} />
        {/* An action that removes its own button (Cancel on a task that then ends) leaves the keyboard here. */}
        <div className="detail-actions" data-focus-scope="button:not([disabled])">
          {!isFinished(task.status) && <ActionButton command="task.cancel" variant="danger" label={t('action.cancel')} busy={busy('task.cancel')} onClick={() => run('task.cancel')} />}
          {isFinished(task.status) && <ActionButton command="task.retry" label={t('action.retry')} busy={busy('task.retry')} onClick={() => run('task.retry')} />}
          {(task.status === 'running' || task.status === 'queued' || task.status === 'waiting') && (
            <ActionButton command="task.pause" label={t('action.pause')} busy={busy('task.pause')} onClick={() => run('task.pause')} />
          )}
          {task.status === 'paused' && <ActionButton command="task.resume" label={t('action.resume')} busy={busy('task.resume')} onClick={() => run('task.resume')} />}
          {/* A stashed task is kept, not scheduled: the same key (Resume's) puts it in the queue. */}
          {task.status === 'stashed' && <ActionButton command="task.resume" variant="primary" label={t('action.enqueue')} busy={busy('task.unstash')} onClick={() => run('task.resume')} />}
          <ActionButton command="task.edit" variant="ghost" label={EDITABLE.includes(task.status) ? t('action.edit') : t('action.editAsNew')} onClick={() => run('task.edit')} />
          <FavouriteStar taskId={task.id} />
          <span className="detail-facts">
            {/* An earlier run picked in the runs table: said, with the way back to the newest (the task's status is the newest's). */}
            {shownRun && runs[0] && shownRun.id !== runs[0].id && (
              <span className="detail-older" data-testid="older-run">
                {t('detail.olderRun', { n: runNumber(runs, shownRun), count: runs.length })}
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    // The keyboard goes to the open tab, above what now shows the latest run; left to fall, it would land on
                    // the first action (Cancel), where the next Enter would cancel the task.
                    document.getElementById(tabId(tab))?.focus()
                    model.route.set({ view: 'task', taskId })
                  }}
                >
                  {t('detail.showLatest')}
                </button>
              </span>
            )}
            {shownRun && (
              <>
                <span>{t('detail.attempt', { n: shownRun.attempt })}</span>
                <span>{formatDuration(shownRun.durationMs ?? Date.now() - shownRun.startedAt)}</span>
                <RunEnd run={shownRun} kind={task.definition.spec.kind} />
              </>
            )}
          </span>
        </div>
        {/* The task's own reason, whichever run is shown; under the actions, so Cancel stays put when the power changes. */}
        {task.status === 'paused' && task.waitingFor?.kind === 'machine' && (
          <div className="held-banner" role="status" data-testid="held-reason">
            {t('wait.held', { group: task.waitingFor.group, conditions: conditions(task.waitingFor.unmet, 'wait') })}
          </div>
        )}
        {task.status === 'queued' && state.groups.get(task.definition.group)?.rate && <RateSlot taskId={task.id} group={task.definition.group} />}
        {shownRun && <RunUsage run={shownRun} kind={task.definition.spec.kind} samples={state.usage.get(shownRun.id)} />}
        <DependencyGraph task={task} />
      </header>
      <div
        className="tabs"
        role="tablist"
        aria-label={t('detail.tabs')}
        onKeyDown={(e) => {
          // The tabs' own keys (one Tab stop, arrows choose), not the list's j/k/↑/↓.
          const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0
          const next = step !== 0 ? tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length] : e.key === 'Home' ? tabs[0] : e.key === 'End' ? tabs.at(-1) : undefined
          if (!next) return
          e.preventDefault()
          e.stopPropagation()
          setTab(next)
          document.getElementById(tabId(next))?.focus()
        }}
      >
        {tabs.map((name) => (
          <button
            key={name}
            id={tabId(name)}
            type="button"
            role="tab"
            aria-selected={tab === name}
            aria-controls={TAB_PANEL_ID}
            tabIndex={tab === name ? 0 : -1}
            className={`tab ${tab === name ? 'active' : ''}`}
            onClick={() => setTab(name)}
          >
            {t(`detail.tab.${name}`)}
            {name === 'runs' && <span className="chip-count">{runs.length}</span>}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={TAB_PANEL_ID} aria-labelledby={tabId(tab)}>
        {tab === 'output' &&
          (shownRun ? (
            <>
              <LogViewer key={shownRun.id} run={shownRun} />
              <StdinLine key={`stdin-${shownRun.id}`} task={task} state={stdinState(task, shownRun, shownRun.id === runs[0]?.id)} />
            </>
          ) : (
            <EmptyState title={t('detail.notStarted')}>{wait ? <WaitingFor wait={wait} /> : t(`status.${task.status}`)}</EmptyState>
          ))}
        {tab === 'result' && shownRun && (
          // Focusable, so that a long one scrolls from the keyboard.
          <pre className="definition" data-testid="run-result" tabIndex={0}>
            {JSON.stringify(shownRun.result, null, 2)}
          </pre>
        )}
        {tab === 'definition' && (
          <pre className="definition" tabIndex={0}>
            {JSON.stringify(task.definition, null, 2)}
          </pre>
        )}
        {tab === 'runs' &&
          (comparing && runs.some((r) => r.id === comparing.base) && runs.some((r) => r.id === comparing.target) ? (
            <RunCompare runs={runs} pair={comparing} onPair={setComparing} onBack={() => backFromCompare(comparing, setComparing)} />
          ) : (
            <RunHistory runs={runs} kind={task.definition.spec.kind} group={task.definition.group} selected={shownRun?.id ?? null} onPick={(id) => model.route.set({ view: 'task', taskId, runId: id })} onCompare={setComparing} />
          ))}
      </div>
    </aside>
  )
}

/**
 * A line of input for a running shell task: Enter sends it with a newline (task.send, as
 * `taskdeck send` does). Disabled, saying why, when the task cannot take input.
 */
function StdinLine({ task, state }: { task: Task; state: StdinState }) {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const pending = useStore(model.pending)
  const [text, setText] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [sent, setSent] = useState<string | null>(null)
  if (state.kind === 'hidden') return null
  const key = `task.send:${task.id}`
  const busy = pending.has(key)
  const closed = state.kind === 'closed'
  const send = async () => {
    if (closed || busy) return
    const status = await model.send({ command: 'task.send', params: { taskId: task.id, text: lineToSend(text) }, key, label: t('stdin.failed') })
    if (status.state === 'ok') {
      setSent(text)
      setText('')
      setProblem(null)
    } else if (status.state === 'error') setProblem(refusal(status.error))
  }
  const hintId = `stdin-hint-${task.id}`
  return (
    <form
      className="stdin-line"
      onSubmit={(e) => {
        e.preventDefault()
        void send()
      }}
    >
      <span className="stdin-prompt" aria-hidden>
        ›
      </span>
      <input
        className="mono"
        aria-label={t('stdin.label')}
        aria-describedby={hintId}
        aria-invalid={problem ? true : undefined}
        placeholder={closed ? '' : t('stdin.placeholder')}
        disabled={closed}
        value={text}
        maxLength={LIMITS.stdinChars - 1}
        onChange={(e) => {
          setText(e.target.value)
          setProblem(null)
        }}
        onKeyDown={(e) => {
          // Typing here is input to the task: single-key shortcuts must not fire (Esc still leaves).
          if (e.key !== 'Escape') e.stopPropagation()
        }}
      />
      <button type="submit" className="btn" disabled={closed} {...(busy && { 'aria-busy': true, 'aria-disabled': true })}>
        {t('stdin.send')}
      </button>
      {problem ? (
        <span className="field-error stdin-hint" id={hintId} role="alert">
          {problem}
        </span>
      ) : (
        <span className="field-hint stdin-hint" id={hintId} role="status">
          {closed ? t(`stdin.closed.${state.reason}`) : sent !== null ? t('stdin.sent', { text: sent }) : t('stdin.hint')}
        </span>
      )}
    </form>
  )
}

/**
 * The star: makes the task a favourite (settings.favourites, run again from the tray or a global
 * shortcut) or stops it being one. A toggle button (aria-pressed) whose name stays "Favourite";
 * its tooltip says which number and shortcut it has.
 */
function FavouriteStar({ taskId }: { taskId: number }) {
  const { t } = useTranslation()
  const model = useModel()
  const settings = useStore(model.settings)
  const pending = useStore(model.pending)
  const favourites = settings.favourites
  const index = favourites.indexOf(taskId)
  const on = index >= 0
  const full = !on && favourites.length >= MAX_FAVOURITES
  const busy = pending.has(FAVOURITES_KEY)
  const changeFavourites = useChangeFavourites()
  const toggle = async () => {
    if (busy || full) return
    // Made to the list as it is when written: on or off as the star showed it, whatever another window did meanwhile.
    const outcome = await changeFavourites((list) =>
      on ? (list.includes(taskId) ? { ok: true, favourites: removeFavourite(list, taskId) } : { ok: false, problem: 'absent' }) : addFavourite(list, taskId, () => true),
    )
    const problem = favouritesProblem(outcome, t, taskId)
    if (problem !== null) model.toast('error', t('favourites.saveFailed'), problem)
  }
  const accelerator = on ? favouriteAccelerator(index, settings.globalShortcuts) : ''
  const title = full ? t('favourites.starFull', { max: MAX_FAVOURITES }) : on ? `${t('favourites.starOn', { n: index + 1 })}${accelerator ? ` (${displayAccelerator(accelerator, IS_MAC)})` : ''}` : t('favourites.star')
  return (
    <button type="button" className={`btn btn-ghost favourite-star${on ? ' on' : ''}`} aria-pressed={on} aria-disabled={full || busy || undefined} aria-busy={busy || undefined} title={title} onClick={() => void toggle()}>
      <span className="star-glyph" aria-hidden>
        {on ? '★' : '☆'}
      </span>
      <span className="btn-label">{t('favourites.star')}</span>
    </button>
  )
}

const clock$ = interval(1000).pipe(map(() => Date.now()))

/**
 * A queued task its group's rate holds (loop state `rate-limited`): when the next slot opens, counting down. Only the
 * engine knows the starts its rate counts, so the Loop's snapshot says it, read once when shown and again only when an
 * event of this group (or a pause, a removal, the machine) comes, at most once a second: not on the output, usage and
 * stats that stream in every second and change nothing here. The countdown itself is the page's clock. Not a live
 * region: a countdown read out every second would drown everything else.
 */
function RateSlot({ taskId, group }: { taskId: number; group: string }) {
  const { rateSlot } = useEngineSentences()
  const model = useModel()
  const snapshot$ = useMemo(() => {
    const changes$ = model.frames$.pipe(filter((batch) => touchesGroupQueue(batch, group, (id) => model.state.value.tasks.get(id)?.definition.group)))
    return snapshotOnActivity$(merge(timer(0), changes$), () => model.bridge.invoke('engine.loop', {}), 1000)
  }, [model, group])
  const snapshot = useObservableState(snapshot$, null)
  const now = useObservableState(clock$, Date.now())
  const state = snapshot?.ok ? snapshot.value.waiting.find((entry) => entry.taskId === taskId)?.state : undefined
  if (state?.kind !== 'rate-limited') return null
  return (
    <div className="held-banner" data-testid="rate-slot">
      {rateSlot(group, state, now)}
    </div>
  )
}

/**
 * A queued task whose group's machine conditions hold it: the engine keeps it queued (its loop
 * lane says why) and says which groups it holds in the machine state (`held`), so the window says why too.
 */
function heldInQueue(task: Task, state: AppState): WaitReason | null {
  if (task.status !== 'queued') return null
  const group = task.definition.group
  const unmet = heldConditions(state.groups.get(group), state.machine)
  return unmet.length > 0 ? { kind: 'machine', group, unmet } : null
}

/** What a task that has not started waits for, precisely: which tasks (one click away), until when, which group. */
function WaitingFor({ wait }: { wait: WaitReason }) {
  const { t, i18n } = useTranslation()
  const { conditions } = useEngineSentences()
  const model = useModel()
  const tasks = useStore(model.state).tasks
  switch (wait.kind) {
    case 'dependency':
      return (
        <>
          <p>{t('wait.dependencyOn', { count: wait.taskIds.length })}</p>
          <ul className="waiting-on">
            {wait.taskIds.map((id) => {
              const dependency = tasks.get(id)
              return (
                <li key={id}>
                  <button type="button" className="link" onClick={() => model.route.set({ view: 'task', taskId: id })}>
                    <span className="cell-id">#{id}</span> {dependency?.name}
                  </button>{' '}
                  {dependency && <StatusBadge status={dependency.status} />}
                </li>
              )
            })}
          </ul>
        </>
      )
    case 'delay':
      return <p>{t('wait.delayUntil', { time: formatClock(wait.until, i18n.language) })}</p>
    case 'backoff':
      return <p>{t('wait.backoffUntil', { attempt: wait.attempt, time: formatClock(wait.until, i18n.language) })}</p>
    case 'group-limit':
      return <p>{t('wait.groupLimitOf', { group: wait.group })}</p>
    case 'paused':
      return <p>{t('wait.paused')}</p>
    case 'machine':
      return <p>{t('wait.machine', { group: wait.group, conditions: conditions(wait.unmet, 'wait') })}</p>
  }
}

/** Why the task ended: a polite status (opening a failed task is no emergency; an alert would interrupt each time). */
function FailureBanner({ task, run }: { task: Task; run: Run | null }) {
  const { t } = useTranslation()
  const { ended } = useEngineSentences()
  if (!isFinished(task.status) || task.status === 'succeeded') return null
  const status = t(`status.${task.status}`)
  // The run's reason, else the task's (one that ended before it ran); else what the process said.
  const source = run && ended(run) !== null ? run : ended(task) !== null ? task : null
  const reason = source ? ended(source) : run?.exitCode != null ? t('detail.exitedWith', { code: run.exitCode }) : run?.signal ? t('detail.killedBy', { signal: run.signal }) : null
  if (reason === null && !run) return null
  const alone = source?.endReason != null && reasonSaysStatus(source.endReason)
  return (
    <div className={`failure failure-${task.status}`} role="status">
      <div data-testid="failure-reason">
        {/* "Cancelled" before "cancelled by user" would say it twice, in any language. */}
        {reason === null ? <strong>{status}</strong> : alone ? <strong>{sentenceCase(reason)}</strong> : <><strong>{status}</strong> {reason}</>}
      </div>
      {run?.stderrTail && <StderrTail text={run.stderrTail} testId="failure-stderr" />}
    </div>
  )
}

/**
 * What a run wrote last on stderr (Run.stderrTail: its last lines, cleaned by the engine), told
 * apart as the log tells stderr: its colour and the "err" mark (drawn, never copied), and named
 * for screen readers by its group. A long one scrolls, so it is focusable.
 */
export function StderrTail({ text, testId }: { text: string; testId?: string }) {
  const { t } = useTranslation()
  return (
    <div className="stderr-tail" role="group" aria-label={t('detail.stderrTail')} data-testid={testId}>
      <span className="stderr-mark" data-mark={t('log.stderrMark')} />
      <pre tabIndex={0}>{text}</pre>
    </div>
  )
}

/**
 * How a run ended, in a word: a process's exit code or signal; only a process has an exit code
 * (a script's or an HTTP batch's run reports 0 when it succeeded), so a script that succeeded
 * "returned" (what, in the Result tab) and a batch that did has "all requests done". Null while
 * it runs, and for a script or batch that did not succeed (its reason says why).
 */
function runEndWord(run: Run, kind: TaskSpec['kind'], t: TFunction): string | null {
  const end = runEnd(kind, run)
  if (end === null) return null
  if (end.kind === 'exit') return t('detail.exit', { code: end.code })
  if (end.kind === 'signal') return end.signal
  return t(end.kind === 'returned' ? 'runEnd.returned' : 'runEnd.requestsDone')
}

function RunEnd({ run, kind }: { run: Run; kind: TaskSpec['kind'] }) {
  const { t } = useTranslation()
  const word = runEndWord(run, kind, t)
  return word === null ? null : <span>{word}</span>
}

/** Back to the runs' table, with the keyboard on the button that opened the comparison. */
function backFromCompare(pair: ComparePair, setComparing: (pair: null) => void) {
  setComparing(null)
  requestAnimationFrame(() => document.getElementById(compareButtonId(pair.target))?.focus())
}
const compareButtonId = (runId: number) => `compare-run-${runId}`

function RunHistory({ runs, kind, group, selected, onPick, onCompare }: { runs: Run[]; kind: TaskSpec['kind']; group: string; selected: number | null; onPick: (id: number) => void; onCompare: (pair: ComparePair) => void }) {
  const { t } = useTranslation()
  const formatDuration = useDuration()
  const { ended, held } = useEngineSentences()
  if (runs.length === 0) return <EmptyState title={t('detail.noRuns')} />
  return (
    <table className="runs">
      <thead>
        <tr>
          <th>{t('runs.run')}</th>
          <th>{t('runs.status')}</th>
          <th>{t('runs.started')}</th>
          <th>{t('runs.duration')}</th>
          <th>{t('runs.ended')}</th>
          <th>{t('runs.worker')}</th>
          <th>{t('runs.reason')}</th>
          <th>{t('compare.column')}</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run, index) => {
          const number = runNumber(runs, run)
          const rowClass = run.id === selected ? 'selected' : ''
          return (
            <Fragment key={run.id}>
              <tr className={`${rowClass}${run.stderrTail ? ' with-stderr' : ''}`} onClick={() => onPick(run.id)}>
                <td>
                  <button type="button" className="link" onClick={() => onPick(run.id)}>
                    {number === run.attempt ? number : t('runs.numberWithAttempt', { n: number, attempt: run.attempt })}
                  </button>
                </td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>{formatTime(run.startedAt)}</td>
                <td>{formatDuration(run.durationMs)}</td>
                <td>{runEndWord(run, kind, t) ?? '—'}</td>
                <td>{run.worker}</td>
                <td className="reason">{ended(run) ?? (run.status === 'paused' && run.heldFor ? held(run.heldFor, group) : '')}</td>
                <td>
                  {/* Runs are newest first: the previous run is the next row. The name says which two. */}
                  {runs[index + 1] && (
                    <button
                      type="button"
                      id={compareButtonId(run.id)}
                      className="btn btn-ghost compare-open"
                      aria-label={t('compare.withPreviousLabel', { target: number, base: number - 1 })}
                      onClick={(e) => {
                        e.stopPropagation()
                        onCompare({ base: runs[index + 1]?.id ?? run.id, target: run.id })
                      }}
                    >
                      {t('compare.withPrevious')}
                    </button>
                  )}
                </td>
              </tr>
              {/* What the run said last on stderr, the table's whole width under its row (a narrow Reason column would stack it word by word). */}
              {run.stderrTail && (
                <tr className={`run-stderr ${rowClass}`} onClick={() => onPick(run.id)}>
                  <td colSpan={8}>
                    <StderrTail text={run.stderrTail} />
                  </td>
                </tr>
              )}
            </Fragment>
          )
        })}
      </tbody>
    </table>
  )
}
