import { describe, expect, it } from 'vitest'
import { REFUSALS, REFUSAL_REASONS, type ApiError } from '../../src-shared/index.ts'
import { formatDuration } from '../../src-renderer/components/common.tsx'
import type { Clock } from '../../src-renderer/streams/engine-sentences.ts'
import { sayRefusal } from '../../src-renderer/streams/refusal-sentences.ts'
import { translator } from '../support/translator.ts'

const clock = (language: 'en' | 'ko'): Clock => ({ time: (at) => new Date(at).toISOString(), duration: (ms) => formatDuration(ms, language) })
const ENGLISH_MESSAGE = 'The engine’s English sentence.'
/** A refusal as the server sends it: the reason's example values beside the reason. */
const example = (reason: (typeof REFUSAL_REASONS)[number]): ApiError => ({ code: REFUSALS[reason].code, message: ENGLISH_MESSAGE, details: { ...REFUSALS[reason].example, reason } })

/** Free text a refusal carries (a group's or a trigger's name, an address, Redis's own error): it stays as written. */
const freeText = (value: unknown): string[] => (typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(freeText) : [])
/** Words that are names, not English: a product, a setting and its value, a Redis command and file. */
const NAMES = new Set(['Taskdeck', 'Redis', 'HTTP', 'maxmemory', 'policy', 'noeviction', 'default', 'CONFIG', 'SET', 'redis', 'conf'])

describe('sayRefusal: an engine refusal in the UI’s language', () => {
  it('says every reason in English and Korean, from its values, with no placeholder left and no English in the Korean but names', async () => {
    const en = await translator('en')
    const ko = await translator('ko')
    for (const reason of REFUSAL_REASONS) {
      const error = example(reason)
      const english = sayRefusal(error, en, clock('en'))
      const korean = sayRefusal(error, ko, clock('ko'))
      for (const said of [english, korean]) {
        expect(said, reason).not.toBe(ENGLISH_MESSAGE)
        expect(said, reason).not.toMatch(/\{\{|refusal\./)
      }
      const quoted = freeText(REFUSALS[reason].example).join(' ')
      const englishWords = [...new Set(english.match(/[A-Za-z]{3,}/g) ?? [])].filter((word) => !quoted.includes(word) && !NAMES.has(word))
      // As a word: "memory" in "maxmemory-policy" is the setting's name.
      for (const word of englishWords) expect(korean, `${reason}: "${word}" in ${korean}`).not.toMatch(new RegExp(`(?<![A-Za-z])${word}(?![A-Za-z])`))
    }
  })

  it('keeps ids, names and numbers as they are, and says an end reason in the same language', async () => {
    const ko = await translator('ko')
    const en = await translator('en')
    const editing: ApiError = { code: 'conflict', message: 'Only a task that has not started can be edited; task 12 is running.', details: { reason: 'task-not-editable', taskId: 12, status: 'running' } }
    expect(sayRefusal(editing, ko, clock('ko'))).toBe('시작하기 전의 작업만 편집할 수 있습니다. 작업 #12은(는) 지금 실행 중 상태입니다.')
    expect(sayRefusal(editing, en, clock('en'))).toBe('Only a task that has not started can be edited; task #12 is running.')
    const retry = example('task-cannot-run')
    expect(sayRefusal(retry, ko, clock('ko'))).toBe('작업 #12을(를) 실행할 수 없습니다: 선행 작업 #11이(가) 실패했습니다.')
    expect(sayRefusal(retry, en, clock('en'))).toBe('Task #12 cannot run: dependency #11 failed.')
    const missing = (taskIds: number[]): ApiError => ({ code: 'not_found', message: 'm', details: { reason: 'task-not-found', taskIds } })
    expect(sayRefusal(missing([4]), en, clock('en'))).toBe('There is no task #4; it may have been removed.')
    expect(sayRefusal(missing([4, 5]), en, clock('en'))).toBe('There are no tasks #4, #5; they may have been removed.')
    // Many ids: ten named, the rest counted.
    expect(sayRefusal(missing(Array.from({ length: 12 }, (_, i) => i + 1)), ko, clock('ko'))).toBe('작업 #1, #2, #3, #4, #5, #6, #7, #8, #9, #10 외 2개이(가) 없습니다. 이미 삭제되었을 수 있습니다.')
    const group: ApiError = { code: 'conflict', message: 'm', details: { reason: 'group-not-empty', group: 'builds', taskIds: [3, 9], extra: 'kept' } }
    expect(sayRefusal(group, ko, clock('ko'))).toBe('builds 그룹에 아직 끝나지 않은 작업이 있습니다: #3, #9.')
  })

  it('falls back to the engine’s message for an error it cannot say: no reason, a reason it does not know, values of another shape', async () => {
    const ko = await translator('ko')
    expect(sayRefusal({ code: 'conflict', message: 'Task 3 is busy.' }, ko, clock('ko'))).toBe('Task 3 is busy.')
    // A newer server's refusal.
    expect(sayRefusal({ code: 'conflict', message: 'Task 3 is on fire.', details: { reason: 'task-on-fire', taskId: 3 } }, ko, clock('ko'))).toBe('Task 3 is on fire.')
    expect(sayRefusal({ code: 'conflict', message: 'Bad values.', details: { reason: 'task-not-editable', taskId: 'three' } }, ko, clock('ko'))).toBe('Bad values.')
    // The command the contract knows but this process does not serve keeps its own reason key.
    expect(sayRefusal({ code: 'unknown_command', message: 'Command "x" is not served by this process.', details: { reason: 'not_served' } }, ko, clock('ko'))).toBe('Command "x" is not served by this process.')
  })
})
