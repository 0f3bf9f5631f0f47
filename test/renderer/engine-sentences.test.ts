import i18next from 'i18next'
import { describe, expect, it } from 'vitest'
import { en } from '../../src-renderer/i18n/en.ts'
import { ko } from '../../src-renderer/i18n/ko.ts'
import { localizeEngineSentence, type Translate } from '../../src-renderer/streams/engine-sentences.ts'

async function translator(lng: 'en' | 'ko'): Promise<Translate> {
  const i18n = i18next.createInstance()
  await i18n.init({ resources: { en: { translation: en }, ko: { translation: ko } }, lng, fallbackLng: 'en', interpolation: { escapeValue: false } })
  return (key, values) => i18n.t(key, values ?? {})
}
const clock = (at: number) => `<${new Date(at).toISOString().slice(11, 19)}>`

describe('localizeEngineSentence', () => {
  it('says why a run ended in Korean, as the engine\'s English says it', async () => {
    const t = await translator('ko')
    const say = (text: string) => localizeEngineSentence(text, t, clock)
    expect(say('exited with code 3')).toBe('종료 코드 3')
    expect(say('exited with code 127 (command not found)')).toBe('종료 코드 127 (명령을 찾을 수 없음)')
    expect(say('killed by SIGKILL')).toBe('SIGKILL 신호로 종료됨')
    expect(say('cancelled by user')).toBe('사용자가 취소함')
    expect(say('timed out after 20 s')).toBe('20 s 후 시간 초과')
    expect(say('Taskdeck stopped while this run was running')).toBe('실행 중에 Taskdeck 이 멈췄습니다')
    expect(say('dependency #3 timed out: timed out after 5 s')).toBe('선행 작업 #3 이(가) 시간 초과되었습니다: 5 s 후 시간 초과')
  })

  it('keeps English exactly as the engine wrote it', async () => {
    const t = await translator('en')
    for (const text of ['exited with code 3', 'killed by SIGTERM', 'cancelled by user', 'dependency #3 failed: exited with code 1', 'position 2 in default', 'group limit: io runs 2 of 2']) {
      expect(localizeEngineSentence(text, t, clock)).toBe(text)
    }
  })

  it('turns the loop lanes\' ISO times into the user\'s clock', async () => {
    const t = await translator('ko')
    const say = (text: string) => localizeEngineSentence(text, t, clock)
    expect(say('running since 2026-11-22T08:48:52.423Z · pid 3617')).toBe('<08:48:52> 부터 실행 중 · pid 3617')
    expect(say('delivering · failed: exited with code 3')).toBe('전달 중 · 실패: 종료 코드 3')
    expect(say('backoff: attempt 2 at 2026-11-22T09:00:00.000Z')).toBe('<09:00:00> 에 2번째 시도')
    expect(say('paused: group io is paused')).toBe('io 그룹이 일시 중지됨')
    const english = await translator('en')
    expect(localizeEngineSentence('delay: until 2026-11-22T09:00:00.000Z', english, clock)).toBe('delay: until <09:00:00>')
  })

  it('shows a sentence it does not know as the engine wrote it', async () => {
    const t = await translator('ko')
    expect(localizeEngineSentence('the script threw: TypeError: x is not a function', t, clock)).toBe('the script threw: TypeError: x is not a function')
  })
})
