import i18next from 'i18next'
import { beforeEach, describe, expect, it } from 'vitest'
import { en as rendererEn } from '../../src-renderer/i18n/en.ts'
import { ko as rendererKo } from '../../src-renderer/i18n/ko.ts'
import { triggerFormKo } from '../../src-renderer/i18n/trigger-form.ts'
import { appMenuModel, type AppMenuItem } from '../../src-shared/decisions/appMenu.ts'
import { foldDesktopEvents, initialDesktopState } from '../../src-shared/decisions/desktopState.ts'
import { END_REASON_MESSAGES, sayEndReason, type Translate } from '../../src-shared/decisions/endReasons.ts'
import { LANGUAGES, resolveLanguage, type Language } from '../../src-shared/decisions/language.ts'
import { notificationFor, sayNotification, type FinishedTask } from '../../src-shared/decisions/notifications.ts'
import { planQuit } from '../../src-shared/decisions/quit.ts'
import { DESKTOP_STRINGS, formatDuration, sayEndReasonIn } from '../../src-shared/decisions/strings.ts'
import { trayModel, type TrayMenuItem } from '../../src-shared/decisions/tray.ts'
import type { EndReason } from '../../src-shared/index.ts'
import { END_REASON_SAMPLES, MORE_END_REASONS, WORKER_LOSS_SAMPLES } from '../support/end-reason-samples.ts'
import { created, enginePaused, finish, lifecycle, resetSeq, settingsChanged, task } from './fixtures.ts'

beforeEach(resetSeq)

/** Every key path of a table, with what sits there: a string, a function, or (for nested tables) nothing. */
function shape(table: object, prefix = ''): string[] {
  return Object.entries(table).flatMap(([key, value]: [string, unknown]) =>
    value !== null && typeof value === 'object' ? shape(value, `${prefix}${key}.`) : [`${prefix}${key}: ${typeof value}`],
  )
}

/** Every string a table can say: its strings, and its functions called with sample values. */
function sayings(table: object): string[] {
  return Object.values(table).flatMap((value: unknown): string[] => {
    if (typeof value === 'string') return [value]
    if (typeof value === 'function') return [1, 3].map((n) => String((value as (...args: unknown[]) => unknown)(n, n, n)))
    return value !== null && typeof value === 'object' ? sayings(value) : []
  })
}

/** English words left in a Korean string, besides names that stay as they are (products, units, Electron's key names). */
const englishIn = (text: string): string[] => (text.match(/[A-Za-z]{2,}/g) ?? []).filter((w) => !['Taskdeck', 'GitHub', 'ms', 'Plus'].includes(w))

describe('string tables', () => {
  it('Korean has every key English has, each of the same kind (text or a function of values)', () => {
    for (const language of LANGUAGES) {
      expect(shape(DESKTOP_STRINGS[language]), language).toEqual(shape(DESKTOP_STRINGS.en))
      expect(shape(END_REASON_MESSAGES[language]), language).toEqual(shape(END_REASON_MESSAGES.en))
    }
  })

  it('Korean particles attach to the word, name or value before them ("Taskdeck이", "{{queue}}에서", "#{{id}}이(가)"), never spaced off', () => {
    // A particle after Latin letters, digits, a closing quote or bracket, or a placeholder, standing alone as a word.
    const spaced = /[”’)}\]A-Za-z0-9/] (이\(가\)|을\(를\)|은\(는\)|와\(과\)|\(으\)로|이|가|을|를|은|는|에서|에|로|으로|와|과|만|부터|까지|의)(?=[\s,.:;)'"!?`]|$)/u
    const demonstrative = / 이 (페이지|앱|시간|탭|시스템|실행)/gu // "이" as "this", not a particle
    const tables = [DESKTOP_STRINGS.ko, END_REASON_MESSAGES.ko, rendererKo, triggerFormKo]
    const found = tables.flatMap((table) => sayings(table)).filter((said) => spaced.test(said.replace(demonstrative, '')))
    expect(found).toEqual([])
  })

  it('Korean says no English (but the product names)', () => {
    for (const said of sayings(DESKTOP_STRINGS.ko)) expect(englishIn(said), said).toEqual([])
    for (const said of sayings(END_REASON_MESSAGES.ko)) expect(englishIn(said.replace(/\{\{\w+\}\}/g, '')).filter((w) => !['HTTP', 'Redis', 'BullMQ', 'CPU', 'MB'].includes(w)), said).toEqual([])
  })

  it('formats durations in each language', () => {
    const samples = [999, 1000, 59_400, 83_000, 7_500_000]
    expect(samples.map((ms) => formatDuration(ms, 'en'))).toEqual(['999 ms', '1 s', '59 s', '1 min 23 s', '2 h 5 min'])
    expect(samples.map((ms) => formatDuration(ms, 'ko'))).toEqual(['999 ms', '1초', '59초', '1분 23초', '2시간 5분'])
  })
})

describe('language resolution', () => {
  it('follows the system with `system`: Korean for a ko locale, English otherwise', () => {
    expect(resolveLanguage('system', ['ko-KR'])).toBe('ko')
    expect(resolveLanguage('system', ['ko'])).toBe('ko')
    expect(resolveLanguage('system', ['ko_KR'])).toBe('ko')
    expect(resolveLanguage('system', ['en-US'])).toBe('en')
    expect(resolveLanguage('system', ['fr-FR'])).toBe('en')
    expect(resolveLanguage('system', [])).toBe('en')
    // The most preferred language Taskdeck speaks wins.
    expect(resolveLanguage('system', ['fr-FR', 'ko-KR'])).toBe('ko')
    expect(resolveLanguage('system', ['en-GB', 'ko-KR'])).toBe('en')
  })

  it('lets an explicit setting win over the system', () => {
    expect(resolveLanguage('en', ['ko-KR'])).toBe('en')
    expect(resolveLanguage('ko', ['en-US'])).toBe('ko')
  })
})

describe('end reasons on the desktop', () => {
  const workerLost = Object.values(WORKER_LOSS_SAMPLES).map(([cause]): EndReason => ({ kind: 'worker-lost', worker: 'host:1:a', cause }))
  const everyReason: EndReason[] = [...Object.values(END_REASON_SAMPLES).map(([reason]) => reason), ...MORE_END_REASONS.map(([reason]) => reason), ...workerLost]

  async function rendererTranslate(language: Language): Promise<Translate> {
    const i18n = i18next.createInstance()
    await i18n.init({ resources: { en: { translation: rendererEn }, ko: { translation: rendererKo } }, lng: language, fallbackLng: false, interpolation: { escapeValue: false } })
    return (key, values) => i18n.t(key, values ?? {})
  }

  it('are worded exactly as the window words them (its i18next, the same templates), in both languages', async () => {
    for (const language of LANGUAGES) {
      const t = await rendererTranslate(language)
      const clock = { time: (at: number) => new Date(at).toISOString(), duration: (ms: number) => formatDuration(ms, language) }
      for (const reason of everyReason) expect(sayEndReasonIn(reason, language), JSON.stringify(reason)).toBe(sayEndReason(reason, t, clock))
    }
    // And English matches the engine's own sentences.
    for (const [reason, english] of Object.values(END_REASON_SAMPLES)) if (reason.kind !== 'timed-out' && reason.kind !== 'dependency-ended') expect(sayEndReasonIn(reason, 'en')).toBe(english)
  })
})

const failure = (endReason: EndReason | null, patch: Partial<FinishedTask> = {}) => finish({ taskId: 4, name: 'nightly backup', status: 'failed', outcome: 'failed', endReason, exitCode: null, ...patch })
const say = (tasks: FinishedTask[], language: Language) => {
  const model = notificationFor(tasks)
  if (!model) throw new Error('nothing to say')
  return sayNotification(model, language)
}

describe('notifications in English and Korean', () => {
  it('tell a success', () => {
    expect(say([finish({ durationMs: 83_000 })], 'en')).toEqual({ title: 'Finished: build', body: 'Succeeded after 1 min 23 s.', actions: [] })
    expect(say([finish({ durationMs: 83_000 })], 'ko')).toEqual({ title: '완료: build', body: '1분 23초 만에 성공했습니다.', actions: [] })
    expect(say([finish({ durationMs: null })], 'ko').body).toBe('성공했습니다.')
  })

  it('tell a failure with Retry and Open Log, its detail from the end reason', () => {
    expect(say([failure({ kind: 'exited', code: 3, commandNotFound: false }, { durationMs: 900 })], 'en')).toEqual({
      title: 'Failed: nightly backup',
      body: 'Exited with code 3 after 900 ms.',
      actions: ['Retry', 'Open Log'],
    })
    expect(say([failure({ kind: 'exited', code: 3, commandNotFound: false }, { durationMs: 900 })], 'ko')).toEqual({
      title: '실패: nightly backup',
      body: '종료 코드 3 (900 ms 후)',
      actions: ['다시 실행', '로그 열기'],
    })
  })

  it('word each common end reason in both languages', () => {
    const cases: [EndReason, string, string][] = [
      [{ kind: 'exited', code: 127, commandNotFound: true }, 'Exited with code 127 (command not found) after 5 s.', '종료 코드 127 (명령을 찾을 수 없음) (5초 후)'],
      [{ kind: 'killed', signal: 'SIGKILL' }, 'Killed by SIGKILL after 5 s.', 'SIGKILL 신호로 종료됨 (5초 후)'],
      // A timeout says how long it ran, once.
      [{ kind: 'timed-out', afterMs: 90_000 }, 'Timed out after 1 min 30 s.', '1분 30초 후 시간 초과'],
      [{ kind: 'interrupted' }, 'Taskdeck stopped while this run was running after 5 s.', '실행 중에 Taskdeck이 멈췄습니다 (5초 후)'],
      [{ kind: 'cwd-missing', cwd: '/srv/nope' }, 'Working directory does not exist: /srv/nope after 5 s.', '작업 디렉터리가 없습니다: /srv/nope (5초 후)'],
      [{ kind: 'executable-not-found', file: 'frob' }, 'Executable not found: frob after 5 s.', '실행 파일을 찾을 수 없습니다: frob (5초 후)'],
      [
        { kind: 'dependency-ended', taskId: 3, status: 'failed', cause: { kind: 'exited', code: 1, commandNotFound: false } },
        'Dependency #3 failed: exited with code 1 after 5 s.',
        '선행 작업 #3이(가) 실패했습니다: 종료 코드 1 (5초 후)',
      ],
      [{ kind: 'worker-lost', worker: 'host:1:a', cause: { kind: 'shut-down' } }, 'Worker host:1:a shut down before the run finished after 5 s.', '실행이 끝나기 전에 워커 host:1:a이(가) 종료되었습니다 (5초 후)'],
      [
        { kind: 'http-failed', failed: 2, total: 10, first: { method: 'GET', url: 'https://example.test/a', status: 503, error: null } },
        '2 of 10 requests failed; first: GET https://example.test/a: HTTP 503 after 5 s.',
        '요청 10개 중 2개 실패. 첫 실패: GET https://example.test/a: HTTP 503 (5초 후)',
      ],
      // A script's own message is shown as it wrote it.
      [{ kind: 'script-error', message: 'Error: disk full' }, 'Error: disk full after 5 s.', 'Error: disk full (5초 후)'],
    ]
    for (const [reason, english, korean] of cases) {
      const status = reason.kind === 'timed-out' ? 'timed_out' : 'failed'
      expect(say([failure(reason, { status })], 'en').body).toBe(english)
      expect(say([failure(reason, { status })], 'ko').body).toBe(korean)
    }
  })

  it('say the stored English reason only for old events without an end reason, and fall back to the status', () => {
    // Old events: the engine's English sentence is all there is, in any language.
    expect(say([failure(null, { reason: 'exit code 2' })], 'ko').body).toBe('exit code 2 (5초 후)')
    // The structured reason wins over the sentence.
    expect(say([failure({ kind: 'cancelled' }, { reason: 'cancelled by user' })], 'ko').body).toBe('사용자가 취소함 (5초 후)')
    expect(say([failure(null, { status: 'timed_out', durationMs: null })], 'ko').body).toBe('시간 초과')
    expect(say([failure(null, { status: 'interrupted', durationMs: null })], 'ko').body).toBe('중단됨')
    expect(say([failure(null, { exitCode: 2, durationMs: null })], 'ko').body).toBe('종료 코드 2')
    expect(say([failure(null, { durationMs: null })], 'ko').body).toBe('실패')
    expect(say([failure(null, { durationMs: null })], 'en').body).toBe('Failed.')
  })

  it('coalesce a burst in both languages', () => {
    const burst = [...Array.from({ length: 11 }, (_, i) => finish({ taskId: i + 1, name: `job ${i + 1}` })), failure({ kind: 'exited', code: 1, commandNotFound: false }, { taskId: 12, name: 'deploy' })]
    expect(say(burst, 'en')).toEqual({ title: '12 tasks finished, 1 failed', body: 'Failed: deploy\nSucceeded: job 1, job 2, job 3 and 8 more', actions: [] })
    expect(say(burst, 'ko')).toEqual({ title: '작업 12개 완료, 1개 실패', body: '실패: deploy\n성공: job 1, job 2, job 3 외 8개', actions: [] })
    expect(say([finish(), finish({ taskId: 2, name: 'lint' })], 'ko')).toEqual({ title: '작업 2개 완료', body: '성공: build, lint', actions: [] })
  })
})

const labels = (items: readonly TrayMenuItem[]): string[] => items.flatMap((i) => (i.type === 'separator' ? ['---'] : i.type === 'submenu' ? [i.label, ...labels(i.items)] : [i.label]))

describe('tray in Korean', () => {
  it('labels the menu and the tooltip', () => {
    const idle = trayModel({ state: initialDesktopState(), windowVisible: true, language: 'ko' })
    expect(idle.tooltip).toBe('Taskdeck: 대기 중')
    expect(labels(idle.menu)).toEqual(['Taskdeck 숨기기', '새 작업…', '---', '실행 중인 작업 없음', '---', '모두 일시 중지', '즐겨찾기 실행', '즐겨찾기가 아직 없습니다 (설정에서 추가하세요)', '---', 'Taskdeck 종료'])

    const events = [
      ...Array.from({ length: 12 }, (_, i) => created(task(i + 1, 'running'))),
      created(task(20, 'paused', { name: 'sync' })),
      ...lifecycle(30, 'failed', { name: 'backup' }),
      created(task(40, 'succeeded', { name: 'deploy' })),
      settingsChanged({ favourites: [40, 99] }),
      enginePaused(true),
    ]
    const busy = trayModel({ state: foldDesktopEvents(initialDesktopState(), events, true), windowVisible: false, language: 'ko' })
    expect(busy.tooltip).toBe('Taskdeck: 작업 12개 실행 중, 1개 일시 중지, 새 실패 1개, 대기열 일시 중지됨')
    const said = labels(busy.menu)
    expect(said[0]).toBe('Taskdeck 보이기')
    expect(said).toEqual(expect.arrayContaining(['열기', '취소', '…외 3개', '모두 재개', '최근 실패 (새 실패 1개)', 'backup', '1. deploy', '2. 작업 #99 (삭제됨)']))
    for (const label of said) expect(englishIn(label.replace(/task \d+|sync|backup|deploy/g, '')), label).toEqual([])
  })
})

describe('application menu in Korean', () => {
  const everyLabel = (items: readonly AppMenuItem[]) => items.flatMap((i) => (i.type === 'separator' ? [] : [i.label]))

  it('labels sections with Korean access keys, commands and Electron roles', () => {
    for (const platform of ['linux', 'darwin']) {
      const menu = appMenuModel({ platform, isDev: true, state: initialDesktopState(), language: 'ko' })
      for (const section of menu) {
        expect(englishIn(section.label), section.label).toEqual([])
        for (const label of everyLabel(section.items)) expect(englishIn(label), label).toEqual([])
      }
    }
    const linux = appMenuModel({ platform: 'linux', isDev: false, state: initialDesktopState(), language: 'ko' })
    expect(linux.map((s) => s.label)).toEqual(['파일(&F)', '편집(&E)', '보기(&V)', '창(&W)', '도움말(&H)'])
    expect(linux[0]?.items).toEqual([
      { type: 'command', label: '새 작업…', command: { kind: 'quick-add' }, accelerator: 'CommandOrControl+N', registerAccelerator: false },
      { type: 'command', label: '모든 작업 일시 중지', command: { kind: 'pause-all' }, accelerator: 'Shift+P', registerAccelerator: false },
      { type: 'separator' },
      { type: 'command', label: '설정…', command: { kind: 'intent', intent: { kind: 'open-view', view: 'settings' } } },
      { type: 'separator' },
      { type: 'command', label: '종료', command: { kind: 'quit' }, accelerator: 'CommandOrControl+Q' },
    ])
    expect(linux[1]?.items).toContainEqual({ type: 'role', role: 'copy', label: '복사' })
    const paused = appMenuModel({ platform: 'linux', isDev: false, state: foldDesktopEvents(initialDesktopState(), [enginePaused(true)], true), language: 'ko' })
    expect(everyLabel(paused[0]?.items ?? [])).toContain('모든 작업 재개')
  })

  it('labels the roles in English too (Electron’s defaults would otherwise show)', () => {
    const menu = appMenuModel({ platform: 'darwin', isDev: false, state: initialDesktopState(), language: 'en' })
    expect(menu[0]?.items).toContainEqual({ type: 'role', role: 'hide', label: 'Hide Taskdeck' })
    expect(menu[2]?.items).toContainEqual({ type: 'role', role: 'selectAll', label: 'Select All' })
  })
})

describe('quit dialog in both languages', () => {
  it('asks with the count and the three choices in order', () => {
    expect(planQuit(0, 'ko')).toEqual({ kind: 'quit' })
    expect(planQuit(3, 'ko')).toEqual({
      kind: 'ask',
      question: {
        title: '작업이 아직 실행 중입니다',
        message: '작업 3개가 아직 실행 중입니다.',
        detail: '종료하면 실행 중인 작업이 중지됩니다. 작업을 끝까지 실행하려면 Taskdeck을 트레이에 남겨 두세요.',
        buttons: ['트레이에서 계속 실행', '작업 중지 후 종료', '취소'],
      },
    })
    expect(planQuit(1, 'en')).toEqual({
      kind: 'ask',
      question: {
        title: 'Tasks are still running',
        message: '1 task is still running.',
        detail: 'Quitting stops them. Keep Taskdeck running in the tray to let them finish.',
        buttons: ['Keep Running in Tray', 'Stop Tasks and Quit', 'Cancel'],
      },
    })
  })
})
