import { beforeEach, describe, expect, it } from 'vitest'
import { activeTasks, foldDesktopEvents, initialDesktopState, markFailuresSeen, RECENT_FAILURES_KEPT } from '../../src-shared/decisions/desktopState.ts'
import { shortLabel, trayModel, type TrayMenuItem } from '../../src-shared/decisions/tray.ts'
import { created, enginePaused, lifecycle, removed, resetSeq, settingsChanged, task, updated } from './fixtures.ts'

beforeEach(resetSeq)

const labels = (items: TrayMenuItem[]): string[] => items.map((i) => (i.type === 'separator' ? '---' : i.label))
const submenu = (items: TrayMenuItem[], label: string): TrayMenuItem[] => {
  const found = items.find((i) => i.type === 'submenu' && i.label.startsWith(label))
  if (found?.type !== 'submenu') throw new Error(`no submenu ${label}`)
  return found.items
}

describe('desktop state fold', () => {
  it('tracks running and paused tasks, in id order', () => {
    const state = foldDesktopEvents(initialDesktopState(), [created(task(2, 'running')), created(task(1, 'paused')), created(task(3, 'queued'))], true)
    expect(activeTasks(state).map((t) => [t.id, t.status])).toEqual([
      [1, 'paused'],
      [2, 'running'],
    ])
  })

  it('counts live failures as unseen but replayed ones only as recent', () => {
    const replayed = foldDesktopEvents(initialDesktopState(), lifecycle(1, 'failed'), false)
    expect(replayed.unseenFailures).toBe(0)
    expect(replayed.recentFailures.map((f) => f.taskId)).toEqual([1])
    const live = foldDesktopEvents(replayed, [...lifecycle(2, 'timed_out'), ...lifecycle(3, 'succeeded')], true)
    expect(live.unseenFailures).toBe(1)
    expect(live.recentFailures.map((f) => f.taskId)).toEqual([2, 1])
    expect(markFailuresSeen(live).unseenFailures).toBe(0)
    expect(markFailuresSeen(replayed)).toBe(replayed)
  })

  it('does not count a repeated failed update twice, and keeps only the newest failures', () => {
    let state = foldDesktopEvents(initialDesktopState(), lifecycle(1, 'failed', { reason: 'dependency 7 failed' }), true)
    state = foldDesktopEvents(state, [updated(task(1, 'failed'))], true)
    expect(state.unseenFailures).toBe(1)
    expect(state.recentFailures[0]?.reason).toBe('dependency 7 failed')
    for (let id = 2; id < 12; id++) state = foldDesktopEvents(state, lifecycle(id, 'failed'), true)
    expect(state.recentFailures).toHaveLength(RECENT_FAILURES_KEPT)
    expect(state.recentFailures[0]?.taskId).toBe(11)
  })

  it('forgets removed tasks and follows pause and settings events', () => {
    let state = foldDesktopEvents(initialDesktopState(), [...lifecycle(1, 'failed'), created(task(2, 'running'))], true)
    state = foldDesktopEvents(state, [removed([1, 2]), enginePaused(true), settingsChanged({ favourites: [5] })], true)
    expect(state.tasks.size).toBe(0)
    expect(state.recentFailures).toEqual([])
    expect(state.enginePaused).toBe(true)
    expect(state.settings.favourites).toEqual([5])
  })

  it('returns the same maps when a batch changes no task (cheap change detection)', () => {
    const state = foldDesktopEvents(initialDesktopState(), [created(task(1, 'running'))], true)
    const next = foldDesktopEvents(state, [{ type: 'run.output', runId: 10, taskId: 1, stream: 'stdout', line: 0, text: 'hi' }], true)
    expect(next.tasks).toBe(state.tasks)
  })
})

describe('tray model', () => {
  it('is idle with nothing running', () => {
    const model = trayModel({ state: initialDesktopState(), windowVisible: true, language: 'en' })
    expect(model.icon).toBe('idle')
    expect(model.tooltip).toBe('Taskdeck: idle')
    expect(labels(model.menu)).toEqual([
      'Hide Taskdeck',
      'New Task…',
      '---',
      'No running tasks',
      '---',
      'Pause All',
      'Run Favourite',
      '---',
      'Quit Taskdeck',
    ])
  })

  it('shows running tasks with Cancel, and the count in the tooltip', () => {
    const state = foldDesktopEvents(initialDesktopState(), [created(task(1, 'running', { name: 'build & test' })), created(task(2, 'running')), created(task(3, 'paused'))], true)
    const model = trayModel({ state, windowVisible: false, language: 'en' })
    expect(model.icon).toBe('running')
    expect(model.tooltip).toBe('Taskdeck: 2 tasks running, 1 paused')
    expect(model.menu[0]).toMatchObject({ label: 'Show Taskdeck', action: { kind: 'toggle-window' } })
    expect(submenu(model.menu, 'build && test')).toEqual([
      { type: 'item', label: 'Open', enabled: true, action: { kind: 'open-task', taskId: 1 } },
      { type: 'item', label: 'Cancel', enabled: true, action: { kind: 'cancel-task', taskId: 1 } },
    ])
    expect(labels(model.menu)).toContain('⏸ task 3')
  })

  it('lists at most ten running tasks and links to the rest', () => {
    const events = Array.from({ length: 13 }, (_, i) => created(task(i + 1, 'running')))
    const model = trayModel({ state: foldDesktopEvents(initialDesktopState(), events, true), windowVisible: true, language: 'en' })
    expect(model.menu.filter((i) => i.type === 'submenu' && i.label.startsWith('task '))).toHaveLength(10)
    expect(model.menu).toContainEqual({ type: 'item', label: '…and 3 more', enabled: true, action: { kind: 'show-window' } })
    expect(model.tooltip).toBe('Taskdeck: 13 tasks running')
  })

  it('shows failures since the last look, and forgets them once seen', () => {
    const state = foldDesktopEvents(initialDesktopState(), [...lifecycle(4, 'failed', { name: 'backup' }), created(task(5, 'running'))], true)
    const model = trayModel({ state, windowVisible: false, language: 'en' })
    expect(model.icon).toBe('failed')
    expect(model.tooltip).toBe('Taskdeck: 1 task running, 1 new failure')
    expect(submenu(model.menu, 'Last Failures (1 new)')).toEqual([{ type: 'item', label: 'backup', enabled: true, action: { kind: 'open-task', taskId: 4 } }])
    const seen = trayModel({ state: markFailuresSeen(state), windowVisible: true, language: 'en' })
    expect(seen.icon).toBe('running')
    expect(labels(seen.menu)).toContain('Last Failures')
  })

  it('offers Resume All when the queue is paused', () => {
    const state = foldDesktopEvents(initialDesktopState(), [enginePaused(true)], true)
    const model = trayModel({ state, windowVisible: true, language: 'en' })
    expect(model.menu).toContainEqual({ type: 'item', label: 'Resume All', enabled: true, action: { kind: 'resume-all' } })
    expect(model.tooltip).toBe('Taskdeck: queue paused')
  })

  it('lists favourites by name in order, disabling removed ones', () => {
    const state = foldDesktopEvents(initialDesktopState(), [created(task(7, 'succeeded', { name: 'deploy' })), settingsChanged({ favourites: [7, 99] })], true)
    expect(submenu(trayModel({ state, windowVisible: true, language: 'en' }).menu, 'Run Favourite')).toEqual([
      { type: 'item', label: '1. deploy', enabled: true, action: { kind: 'run-favourite', taskId: 7 } },
      { type: 'item', label: '2. Task #99 (removed)', enabled: false, action: { kind: 'run-favourite', taskId: 99 } },
    ])
  })

  it('makes one-line, bounded, mnemonic-safe labels', () => {
    expect(shortLabel('a\n  b\tc')).toBe('a b c')
    expect(shortLabel('x'.repeat(100))).toHaveLength(48)
    expect(shortLabel('R&D')).toBe('R&&D')
  })

  it('is deterministic: the same state gives an equal model (so the adapter can skip rebuilds)', () => {
    const state = foldDesktopEvents(initialDesktopState(), [created(task(1, 'running'))], true)
    expect(trayModel({ state, windowVisible: true, language: 'en' })).toEqual(trayModel({ state, windowVisible: true, language: 'en' }))
  })
})
