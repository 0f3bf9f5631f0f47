import { isFinished, type CommandName, type Task } from '../src-shared/index.ts'
import type { AppModel } from './model.ts'
import type { CommandId } from './streams/keymap.ts'
import { extendSelection, type ListSelection } from './streams/selection.ts'
import { lastFailedTask, newestRunningTask } from './streams/palette.ts'

export const NEW_TASK_INPUT_ID = 'quick-add'
export const SEARCH_INPUT_ID = 'task-search'
/** The task list (focusable: j/k move its cursor), where the keyboard goes from the fields above it. */
export const TASK_LIST_ID = 'task-list'
export const LOG_JUMP_INPUT_ID = 'log-jump'

/** Tasks an action applies to: the checked ones, else the one under the cursor or open. */
export function targetTasks(model: AppModel): Task[] {
  const { tasks } = model.state.value
  const ids = model.checked.value.size > 0 ? [...model.checked.value] : [currentTaskId(model)].filter((id): id is number => id !== null)
  return ids.map((id) => tasks.get(id)).filter((t): t is Task => t !== undefined)
}

export function currentTaskId(model: AppModel): number | null {
  const route = model.route.value
  if (route.view === 'task') return route.taskId
  return model.cursor.value
}

/** Focuses now when the field is on screen, else once the view that holds it has rendered. */
const focusSoon = (id: string) => {
  if (document.getElementById(id)) focus(id)
  else requestAnimationFrame(() => focus(id))
}

const focus = (id: string) => {
  const el = document.getElementById(id)
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
    el.focus()
    el.select()
  }
}

/** Which tasks each bulk command can act on, so a key never sends a command that must fail. */
const applicable: Record<'task.cancel' | 'task.retry' | 'task.pause' | 'task.resume' | 'task.unstash', (t: Task) => boolean> = {
  'task.cancel': (t) => !isFinished(t.status),
  'task.retry': (t) => isFinished(t.status),
  'task.pause': (t) => t.status === 'running' || t.status === 'queued' || t.status === 'waiting',
  'task.resume': (t) => t.status === 'paused' || (t.status === 'waiting' && t.waitingFor?.kind === 'paused'),
  'task.unstash': (t) => t.status === 'stashed',
}

type BulkCommand = 'task.cancel' | 'task.retry' | 'task.pause' | 'task.resume'
type SentCommand = keyof typeof applicable
type Translate = (key: string, values?: Record<string, string | number>) => string

/**
 * What each bulk command sends: Resume ("start it again") resumes paused tasks and enqueues
 * stashed ones (task.unstash), so the one key and button act on both.
 */
const sentFor: Record<BulkCommand, readonly SentCommand[]> = {
  'task.cancel': ['task.cancel'],
  'task.retry': ['task.retry'],
  'task.pause': ['task.pause'],
  'task.resume': ['task.resume', 'task.unstash'],
}

/** The target tasks a bulk command acts on, and those it leaves as they are (already finished, for a cancel). */
export function bulkTargets(tasks: readonly Task[], command: SentCommand): { taskIds: number[]; skipped: number[] } {
  const taskIds: number[] = []
  const skipped: number[] = []
  for (const task of tasks) (applicable[command](task) ? taskIds : skipped).push(task.id)
  return { taskIds, skipped }
}

/** The commands a bulk command sends (one per kind of task it applies to, none empty), and the tasks it leaves as they are. */
export function bulkPlan(tasks: readonly Task[], command: BulkCommand): { sends: { command: SentCommand; taskIds: number[] }[]; skipped: number[] } {
  const sends = sentFor[command].map((sent) => ({ command: sent, taskIds: tasks.filter((t) => applicable[sent](t)).map((t) => t.id) }))
  const acted = new Set(sends.flatMap((s) => s.taskIds))
  return { sends: sends.filter((s) => s.taskIds.length > 0), skipped: tasks.filter((t) => !acted.has(t.id)).map((t) => t.id) }
}

/** What Resume does to these tasks, in words: "Enqueue" when they are all stashed, "Resume" when none is. */
export function resumeLabel(tasks: readonly Task[], t: (key: string) => string): string {
  return resumeLabelFor(tasks.length, tasks.filter((task) => task.status === 'stashed').length, t)
}

/** The same for counts: `stashed` of `count` tasks. */
export function resumeLabelFor(count: number, stashed: number, t: (key: string) => string): string {
  return stashed === 0 ? t('action.resume') : stashed === count ? t('action.enqueue') : t('action.resumeOrEnqueue')
}

/** "#3, #5 and 4 more": the tasks named, a few at most. */
export function taskList(ids: readonly number[], t: Translate, shown = 5): string {
  const named = ids.slice(0, shown).map((id) => `#${id}`).join(', ')
  return ids.length > shown ? t('bulk.andMore', { tasks: named, count: ids.length - shown }) : named
}

/**
 * Sends a bulk command for the tasks it applies to. Tasks it cannot apply to are not sent (the
 * command would fail), and the user is told which were left as they are and why: a key that
 * seems to do nothing leaves them guessing.
 */
export function bulk(model: AppModel, command: BulkCommand, label: string, t: Translate): void {
  const { sends, skipped } = bulkPlan(targetTasks(model), command)
  if (skipped.length > 0) model.toast('info', label, t(`bulk.skipped.${command.slice('task.'.length)}`, { tasks: taskList(skipped, t), count: skipped.length }))
  for (const { command: sent, taskIds } of sends) model.intents.next({ command: sent, params: { taskIds }, key: `${sent}:${taskIds.join(',')}`, label })
}

/** Puts a selection (from streams/selection.ts) into the model's stores. */
export function applySelection(model: AppModel, selection: ListSelection): void {
  model.anchor.set(selection.anchor)
  model.checked.set(selection.checked)
  if (selection.cursor !== model.cursor.value) {
    model.cursor.set(selection.cursor)
    if (model.route.value.view === 'task' && selection.cursor !== null) model.route.set({ view: 'task', taskId: selection.cursor })
  }
}

/**
 * Every command in the keymap and the palette, in one place: keys, clicks and the palette
 * all end here, so they cannot drift apart.
 */
export function createActions(model: AppModel, t: Translate) {
  // The cursor moves over the rows as the list shows them (model.listRows).
  const moveCursor = (delta: number | 'first' | 'last') => {
    const rows = model.listRows.value.rows
    if (rows.length === 0) return
    const index = rows.findIndex((r) => r.task.id === model.cursor.value)
    const next =
      delta === 'first' ? 0 : delta === 'last' ? rows.length - 1 : index < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, index + delta))
    const id = rows[next]?.task.id ?? null
    model.anchor.set(null)
    model.cursor.set(id)
    if (model.route.value.view === 'task' && id !== null) model.route.set({ view: 'task', taskId: id })
  }
  const extend = (delta: number) => {
    const next = extendSelection(
      model.listRows.value.rows.map((r) => r.task.id),
      { cursor: model.cursor.value, checked: model.checked.value, anchor: model.anchor.value },
      delta,
    )
    applySelection(model, next)
  }
  const inTaskViews = () => model.route.value.view === 'tasks' || model.route.value.view === 'task'

  const run = (id: CommandId): void => {
    switch (id) {
      case 'palette.open':
        model.paletteEvents.next({ kind: 'open' })
        return
      case 'task.new':
        if (!inTaskViews()) model.route.set({ view: 'tasks' })
        focusSoon(NEW_TASK_INPUT_ID)
        return
      case 'nav.down':
        return inTaskViews() ? moveCursor(1) : undefined
      case 'nav.up':
        return inTaskViews() ? moveCursor(-1) : undefined
      case 'nav.first':
        return inTaskViews() ? moveCursor('first') : undefined
      case 'nav.last':
        return inTaskViews() ? moveCursor('last') : undefined
      case 'nav.open': {
        const cursor = model.cursor.value
        if (model.route.value.view === 'tasks' && cursor !== null) model.route.set({ view: 'task', taskId: cursor })
        return
      }
      case 'nav.back': {
        const active = document.activeElement
        if (active instanceof HTMLElement && active !== document.body && active.matches('input, textarea, select')) {
          // From the list's search, filters or quick box, to the list they act on, not to the page's start (where the next Tab would begin).
          const list = active.closest('.filters, .quick-add') ? document.getElementById(TASK_LIST_ID) : null
          if (list) list.focus({ preventScroll: true })
          else active.blur()
          return
        }
        const route = model.route.value
        if (route.view === 'task' || route.view === 'new') model.route.set({ view: 'tasks' })
        // A trigger form closes (back to the trigger it was about), then the selection, before the view is left.
        else if (route.view === 'triggers' && route.form) model.route.set({ view: 'triggers', ...(route.triggerId === undefined ? {} : { triggerId: route.triggerId }) })
        else if (route.view === 'triggers' && route.triggerId !== undefined) model.route.set({ view: 'triggers' })
        else if (model.checked.value.size > 0) applySelection(model, { cursor: model.cursor.value, checked: new Set(), anchor: null })
        else if (route.view !== 'tasks') model.route.set({ view: 'tasks' })
        return
      }
      case 'select.toggle': {
        const cursor = model.cursor.value
        if (cursor === null) return
        const next = new Set(model.checked.value)
        if (next.has(cursor)) next.delete(cursor)
        else next.add(cursor)
        model.anchor.set(null)
        model.checked.set(next)
        return
      }
      case 'select.down':
        return inTaskViews() ? extend(1) : undefined
      case 'select.up':
        return inTaskViews() ? extend(-1) : undefined
      case 'select.all':
        if (inTaskViews()) model.checked.set(new Set(model.rows.value.map((r) => r.task.id)))
        return
      case 'task.cancel':
        return bulk(model, 'task.cancel', t('action.cancel'), t)
      case 'task.retry':
        return bulk(model, 'task.retry', t('action.retry'), t)
      case 'task.pause':
        return bulk(model, 'task.pause', t('action.pause'), t)
      case 'task.resume':
        return bulk(model, 'task.resume', resumeLabel(targetTasks(model), t), t)
      case 'task.edit': {
        const id = currentTaskId(model)
        if (id !== null) model.route.set({ view: 'new', editTaskId: id })
        return
      }
      case 'search.focus':
        if (!inTaskViews()) model.route.set({ view: 'tasks' })
        focusSoon(SEARCH_INPUT_ID)
        return
      case 'view.tasks':
        return model.route.set({ view: 'tasks' })
      case 'view.loop':
        return model.route.set({ view: 'loop' })
      case 'view.dashboard':
        return model.route.set({ view: 'dashboard' })
      case 'view.workers':
        return model.route.set({ view: 'workers' })
      case 'view.triggers':
        return model.route.set({ view: 'triggers' })
      case 'trigger.new': {
        const route = model.route.value
        return model.route.set({ view: 'triggers', ...(route.view === 'triggers' && route.triggerId !== undefined ? { triggerId: route.triggerId } : {}), form: 'new' })
      }
      case 'view.settings':
        return model.route.set({ view: 'settings' })
      case 'engine.togglePause': {
        const command: CommandName = model.state.value.enginePaused ? 'engine.resume' : 'engine.pause'
        model.intents.next({ command, params: {}, label: t(model.state.value.enginePaused ? 'action.resumeAll' : 'action.pauseAll') })
        return
      }
      case 'log.follow':
        model.logCommands$.next('follow')
        return
      case 'log.jump':
        model.logCommands$.next('jump')
        focusSoon(LOG_JUMP_INPUT_ID)
        return
      case 'compare.next':
        model.logCommands$.next('nextChange')
        return
      case 'compare.previous':
        model.logCommands$.next('previousChange')
        return
      case 'help.shortcuts':
        model.paletteEvents.next({ kind: 'open' })
        return
      case 'queue.retryLastFailed': {
        const task = lastFailedTask(model.state.value.tasks.values())
        if (!task) return model.toast('info', t('command.queue.retryLastFailed'), t('queue.noFailed'))
        model.intents.next({ command: 'task.retry', params: { taskIds: [task.id] }, key: `task.retry:${task.id}`, label: t('action.retry') })
        model.route.set({ view: 'task', taskId: task.id })
        return
      }
      case 'queue.followNewest': {
        const task = newestRunningTask(model.state.value.tasks.values(), model.state.value.runs)
        if (!task) return model.toast('info', t('command.queue.followNewest'), t('queue.noneRunning'))
        model.cursor.set(task.id)
        model.route.set({ view: 'task', taskId: task.id })
        return
      }
      case 'group.pause':
      case 'group.resume':
        model.paletteEvents.next({ kind: 'ask-group', command: id })
        return
    }
  }
  return run
}
