import { describe, expect, it } from 'vitest'
import type { EndReason, LoopState } from '../../src-shared/index.ts'
import { formatDuration } from '../../src-renderer/components/common.tsx'
import { formatMs } from '../../src-main/engine/end-reasons.ts'
import { sayEndReason, sayEnded, sayLoopEntry, sayRateSlot, type Clock } from '../../src-renderer/streams/engine-sentences.ts'
import { END_REASON_SAMPLES, LOOP_STATE_SAMPLES, MORE_END_REASONS, WORKER_LOSS_SAMPLES } from '../support/end-reason-samples.ts'
import { translator } from '../support/translator.ts'

/** The engine's own clock and duration format: English comes out exactly as the engine's. */
const isoClock: Clock = { time: (at) => new Date(at).toISOString(), duration: formatMs }
const userClock: Clock = { time: (at) => `<${new Date(at).toISOString().slice(11, 19)}>`, duration: (ms) => formatDuration(ms, 'ko') }
const userClockEn: Clock = { ...userClock, duration: (ms) => formatDuration(ms, 'en') }

/** Free text a reason carries (a path, a script's message): it stays as written in any language. */
function freeText(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (value && typeof value === 'object') return Object.values(value).flatMap(freeText)
  return []
}

/** The English words of a sentence that are not part of its free text. */
function englishWords(english: string, reason: unknown): string[] {
  const quoted = freeText(reason).join(' ')
  return [...new Set(english.match(/[A-Za-z']{3,}/g) ?? [])].filter((word) => !quoted.includes(word) && word !== 'HTTP' && word !== 'CPU' && word !== 'pid' && word !== 'Taskdeck' && word !== 'Redis' && word !== 'BullMQ')
}

/** The sample of a kind (the first that `which` picks), by what it is rather than by its place in the list. */
function loopSample<K extends LoopState['kind']>(kind: K, which: (state: Extract<LoopState, { kind: K }>) => boolean = () => true): LoopState {
  const found = LOOP_STATE_SAMPLES.map(([state]) => state).find((state): state is Extract<LoopState, { kind: K }> => state.kind === kind && which(state as Extract<LoopState, { kind: K }>))
  if (!found) throw new Error(`no ${kind} loop state sample`)
  return found
}
function moreReason(which: (reason: EndReason) => boolean): EndReason {
  const found = MORE_END_REASONS.map(([reason]) => reason).find(which)
  if (!found) throw new Error('no such end reason sample')
  return found
}

const workerLost = Object.values(WORKER_LOSS_SAMPLES).map(([cause, english]): [EndReason, string] => [{ kind: 'worker-lost', worker: 'host:1:a', cause }, english])
const everyReason: [EndReason, string][] = [...Object.values(END_REASON_SAMPLES), ...MORE_END_REASONS, ...workerLost]

describe('the UI says why runs ended from the structured reason', () => {
  it('in English, as the engine words it (so en.ts and the engine say the same)', async () => {
    const t = await translator('en')
    for (const [reason, english] of everyReason) expect(sayEndReason(reason, t, isoClock)).toBe(english)
  })

  it('in Korean, with no English left but the free text a reason carries', async () => {
    const t = await translator('ko')
    for (const [reason, english] of everyReason) {
      const korean = sayEndReason(reason, t, isoClock)
      if (reason.kind === 'script-error' || reason.kind === 'message') {
        // A script's own message, a sentence from an older worker: shown as written.
        expect(korean).toBe(english)
        continue
      }
      expect(korean, english).not.toBe(english)
      for (const word of englishWords(english, reason)) expect(korean, `"${word}" in ${korean}`).not.toContain(word)
    }
    expect(sayEndReason(END_REASON_SAMPLES['timed-out'][0], t, userClock)).toBe('20초 후 시간 초과')
    expect(sayEndReason({ kind: 'exited', code: 127, commandNotFound: true }, t, userClock)).toBe('종료 코드 127 (명령을 찾을 수 없음)')
    expect(sayEndReason(moreReason((r) => r.kind === 'dependency-ended' && r.cause?.kind === 'dependency-ended'), t, userClock)).toBe('선행 작업 #4이(가) 실패했습니다: 선행 작업 #3이(가) 실패했습니다: 종료 코드 1')
  })

  it('shows an event stored before reasons were data as the engine wrote it, and nothing when there is no reason', async () => {
    const t = await translator('ko')
    expect(sayEnded({ reason: 'exited with code 3' }, t, userClock)).toBe('exited with code 3')
    expect(sayEnded({ reason: 'exited with code 3', endReason: null }, t, userClock)).toBe('exited with code 3')
    expect(sayEnded({ reason: 'exited with code 3', endReason: { kind: 'exited', code: 3, commandNotFound: false } }, t, userClock)).toBe('종료 코드 3')
    expect(sayEnded({ reason: null, endReason: null }, t, userClock)).toBeNull()
  })
})

describe('the UI says the loop lanes from their state', () => {
  const entry = (state: LoopState) => ({ taskId: 1, name: 'n', group: 'io', detail: 'ignored', state })

  it('in English, as the engine words it', async () => {
    const t = await translator('en')
    // The UI's status words are capitalised ("Failed"); the rest is the engine's wording.
    for (const [state, english] of LOOP_STATE_SAMPLES) expect(sayLoopEntry(entry(state), t, isoClock).toLowerCase()).toBe(english.toLowerCase())
  })

  it('in Korean, with times in the user\'s clock and no English left', async () => {
    const t = await translator('ko')
    for (const [state, english] of LOOP_STATE_SAMPLES) {
      const korean = sayLoopEntry(entry(state), t, userClock)
      expect(korean).not.toMatch(/\d{4}-\d{2}-\d{2}T/)
      for (const word of englishWords(english, { group: 'io' })) expect(korean, `"${word}" in ${korean}`).not.toContain(word)
    }
    expect(sayLoopEntry(entry(loopSample('running')), t, userClock)).toBe('<08:48:52>부터 실행 중 · pid 3617')
    expect(sayLoopEntry(entry(loopSample('finished', (s) => s.delivering)), t, userClock)).toBe('전달 중 · 실패: 종료 코드 3')
    expect(sayLoopEntry(entry(loopSample('waiting', (s) => s.waitingFor?.kind === 'backoff')), t, userClock)).toBe('<08:48:52>에 2번째 시도')
  })

  it('says the status once when the reason already says it ("Cancelled: cancelled by user" said it twice), in both languages', async () => {
    const cancelled: LoopState = { kind: 'finished', status: 'cancelled', endReason: { kind: 'cancelled' }, delivering: false }
    const timedOut: LoopState = { kind: 'finished', status: 'timed_out', endReason: { kind: 'timed-out', afterMs: 20_000 }, delivering: true }
    const interrupted: LoopState = { kind: 'finished', status: 'interrupted', endReason: { kind: 'interrupted' }, delivering: false }
    const en = await translator('en')
    expect(sayLoopEntry(entry(cancelled), en, userClockEn)).toBe('Cancelled by user')
    expect(sayLoopEntry(entry(timedOut), en, userClockEn)).toBe('delivering · Timed out after 20 s')
    // Its sentence does not say the status word: both are worth reading.
    expect(sayLoopEntry(entry(interrupted), en, userClockEn)).toBe('Interrupted: Taskdeck stopped while this run was running')
    const ko = await translator('ko')
    expect(sayLoopEntry(entry(cancelled), ko, userClock)).toBe('사용자가 취소함')
    expect(sayLoopEntry(entry(timedOut), ko, userClock)).toBe('전달 중 · 20초 후 시간 초과')
  })

  it('says when a rate-held task’s next slot opens, counting down in the UI’s duration format, in both languages', async () => {
    const hold = { max: 10, perMs: 60_000, until: 1_000_000 }
    const en = await translator('en')
    expect(sayRateSlot('io', hold, 1_000_000 - 12_000, en, userClockEn)).toBe('Waiting for group io’s rate limit (10 per minute): next slot in 12 s.')
    expect(sayRateSlot('io', { max: 1, perMs: 3_600_000, until: 1_000_000 }, 1_000_000 - 3_598_000, en, userClockEn)).toBe(
      'Waiting for group io’s rate limit (1 per hour): next slot in 59 min 58 s.',
    )
    expect(sayRateSlot('io', { max: 20, perMs: 900_000, until: 1_000_000 }, 1_000_000 - 61_000, en, userClockEn)).toBe(
      'Waiting for group io’s rate limit (20 per 15 min 0 s): next slot in 1 min 1 s.',
    )
    // Its moment come, the task starts at the engine's next turn.
    expect(sayRateSlot('io', hold, 1_000_000, en, userClockEn)).toBe('Waiting for group io’s rate limit (10 per minute): the next slot is opening now.')
    const ko = await translator('ko')
    expect(sayRateSlot('io', hold, 1_000_000 - 12_000, ko, userClock)).toBe('io 그룹의 시작 횟수 제한(분당 10회) 때문에 기다리는 중입니다. 다음 자리까지 12초 남았습니다.')
    expect(sayRateSlot('io', { max: 5, perMs: 86_400_000, until: 1_000_000 }, 0, ko, userClock)).toBe('io 그룹의 시작 횟수 제한(하루 5회) 때문에 기다리는 중입니다. 다음 자리까지 16분 40초 남았습니다.')
  })
})
