import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { ConnectionState } from '../../src-renderer/bridge/types.ts'
import { historyReading, historyReading$, type HistoryReading } from '../../src-renderer/streams/history.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
type Seqs = { headSeq: number | null; lastSeq: number }

describe('historyReading: one answer for the task list, the dashboard and the connection indicator', () => {
  it('reads while connected or connecting with no head known (left unknown) or behind it (left counted)', () => {
    expect(historyReading({ headSeq: null, lastSeq: 0 }, 'online')).toEqual({ reading: true, left: null })
    expect(historyReading({ headSeq: null, lastSeq: 0 }, 'connecting')).toEqual({ reading: true, left: null })
    expect(historyReading({ headSeq: 9, lastSeq: 4 }, 'online')).toEqual({ reading: true, left: 5 })
    expect(historyReading({ headSeq: 4, lastSeq: 4 }, 'online')).toEqual({ reading: false })
    for (const kind of ['offline', 'unauthorized', 'refused'] as const) expect(historyReading({ headSeq: 9, lastSeq: 4 }, kind)).toEqual({ reading: false })
  })

  it('is told again only when it changes, not on every folded state', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const states: Record<string, Seqs> = { n: { headSeq: null, lastSeq: 0 }, a: { headSeq: 10, lastSeq: 2 }, b: { headSeq: 10, lastSeq: 2 }, c: { headSeq: 10, lastSeq: 7 }, d: { headSeq: 10, lastSeq: 10 }, e: { headSeq: 12, lastSeq: 12 } }
      const connections: Record<string, ConnectionState> = { o: { kind: 'online' }, x: { kind: 'offline', attempt: 1, retryInMs: 500, reason: 'gone' } }
      const readings: Record<string, HistoryReading> = { u: { reading: true, left: null }, l: { reading: true, left: 8 }, m: { reading: true, left: 3 }, r: { reading: false } }
      const state$ = hot('     n-a-b-c-d-e---', states)
      const connection$ = cold('o-----------x-o', connections)
      expectObservable(historyReading$(state$, connection$)).toBe('u-l---m-r-----', readings)
    })
  })
})
