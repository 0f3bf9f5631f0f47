import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { lastFailedTask, newestRunningTask, paletteSteps$, rankPaletteEntries, VIEW_COMMANDS, type PaletteEvent } from '../../src-renderer/streams/palette.ts'
import { COMMAND_IDS } from '../../src-renderer/streams/keymap.ts'
import { fuzzyScore } from '../../src-renderer/streams/tasks-query.ts'
import { run, task } from './events.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

describe('the two-step palette', () => {
  it('asks for the group in a second step, then sends the group command for the group chosen, and closes', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<PaletteEvent>('-o-p-g-', {
        o: { kind: 'open' },
        p: { kind: 'ask-group', command: 'group.pause' },
        g: { kind: 'choose-group', name: 'builds' },
      })
      expectObservable(paletteSteps$(events$)).toBe('-a-b-c-', {
        a: { step: { kind: 'commands' }, intent: null },
        b: { step: { kind: 'pick-group', command: 'group.pause' }, intent: null },
        c: { step: { kind: 'closed' }, intent: { command: 'group.pause', params: { name: 'builds' }, key: 'group.pause:builds' } },
      })
    })
  })

  it('goes back to the commands, and sends nothing for a group chosen outside the second step or after a close', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<PaletteEvent>('-r-b-g-r-x-g-', {
        r: { kind: 'ask-group', command: 'group.resume' },
        b: { kind: 'back' },
        g: { kind: 'choose-group', name: 'default' },
        x: { kind: 'close' },
      })
      expectObservable(paletteSteps$(events$).pipe(map((o) => `${o.step.kind}${o.intent ? `:${o.intent.command}` : ''}`))).toBe('-a-b-b-a-c-c-', {
        a: 'pick-group',
        b: 'commands',
        c: 'closed',
      })
    })
  })
})

describe('queue commands', () => {
  it('finds the task that failed last (not a cancelled one)', () => {
    const tasks = [task(1, { status: 'failed', updatedAt: 5 }), task(2, { status: 'timed_out', updatedAt: 9 }), task(3, { status: 'cancelled', updatedAt: 20 }), task(4, { status: 'succeeded', updatedAt: 30 })]
    expect(lastFailedTask(tasks)?.id).toBe(2)
    expect(lastFailedTask([task(5)])).toBeNull()
  })

  it('finds the running task whose run started last', () => {
    const tasks = [task(1, { status: 'running', lastRunId: 10 }), task(2, { status: 'running', lastRunId: 11 }), task(3, { status: 'queued' })]
    const runs = new Map([
      [10, run(10, 1, { startedAt: 50 })],
      [11, run(11, 2, { startedAt: 40 })],
    ])
    expect(newestRunningTask(tasks, runs)?.id).toBe(1)
    expect(newestRunningTask([task(3)], runs)).toBeNull()
  })
})

describe('palette order by view', () => {
  const commands = COMMAND_IDS.filter((id) => id !== 'palette.open').map((id) => ({ id }))
  const scoredBy = (text: string, title: (id: string) => string = (id) => id) =>
    commands.flatMap((entry) => {
      const score = fuzzyScore(text, title(entry.id))
      return score === null ? [] : [{ entry, score }]
    })

  it("lists the current view's commands first when nothing is typed, the rest in keymap order", () => {
    const ids = rankPaletteEntries(scoredBy(''), 'triggers').map((e) => e.id)
    expect(ids.slice(0, 2)).toEqual(['trigger.new', 'nav.back'])
    expect(ids.slice(2, 5)).toEqual(['task.new', 'nav.down', 'nav.up'])
    expect(ids).toHaveLength(commands.length)
  })

  it('keeps the task-list commands first in the task list, and the keymap order where a view has none', () => {
    expect(rankPaletteEntries(scoredBy(''), 'tasks').map((e) => e.id).slice(0, 3)).toEqual(['task.new', 'nav.down', 'nav.up'])
    expect(rankPaletteEntries(scoredBy(''), 'settings').map((e) => e.id)).toEqual(commands.map((e) => e.id))
    expect(rankPaletteEntries(scoredBy(''), 'task')[0]?.id).toBe('task.cancel')
  })

  it('ranks by the match while typing, and breaks ties by the view', () => {
    // Equal scores: the same title twice, told apart by id.
    const tie = [
      { entry: { id: 'nav.down' }, score: 5 },
      { entry: { id: 'trigger.new' }, score: 5 },
      { entry: { id: 'view.triggers' }, score: 7 },
    ]
    expect(rankPaletteEntries(tie, 'triggers').map((e) => e.id)).toEqual(['view.triggers', 'trigger.new', 'nav.down'])
    expect(rankPaletteEntries(tie, 'tasks').map((e) => e.id)).toEqual(['view.triggers', 'nav.down', 'trigger.new'])
  })

  it("names only commands the keymap knows, each once per view", () => {
    for (const [view, ids] of Object.entries(VIEW_COMMANDS)) {
      expect(new Set(ids).size, view).toBe(ids.length)
      for (const id of ids) expect(COMMAND_IDS, `${view}: ${id}`).toContain(id)
    }
  })
})
