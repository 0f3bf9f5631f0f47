import type { EndReason } from '../model.ts'
import type { MenuRole } from './appMenu.ts'
import { END_REASON_MESSAGES, sayEndReason, type Translate } from './endReasons.ts'
import type { Language } from './language.ts'

/**
 * Every word the desktop surfaces say (notifications in main and in the browser, the tray,
 * the application menu, the quit dialog, global shortcut problems), in each language Taskdeck speaks. A plain typed
 * table rather than i18next: each entry that takes values is a function, so the compiler
 * checks every call's values and every language's keys, counts read as code (English
 * plurals, Korean counters), and main needs no i18n runtime. Terms follow the window's
 * (src-renderer/i18n): 다시 실행 for retry, 일시 중지 / 재개, 대기열, 즐겨찾기.
 */
export interface DesktopStrings {
  duration: { ms: (n: number) => string; s: (n: number) => string; minS: (m: number, s: number) => string; hMin: (h: number, m: number) => string }
  notification: {
    finishedTitle: (name: string) => string
    failedTitle: (name: string) => string
    succeeded: (took: string | null) => string
    /** `detail`: why it failed (an end reason, or one of the fallbacks below). */
    failed: (detail: string, took: string | null) => string
    timedOut: string
    interrupted: string
    exitedWithCode: (code: number) => string
    unknownFailure: string
    burstTitle: (count: number, failed: number) => string
    burstFailed: (names: string) => string
    burstSucceeded: (names: string) => string
    listSeparator: string
    andMore: (names: string, more: number) => string
    retry: string
    openLog: string
    /** A failure paused its group (pause on failure): said under it. */
    groupPaused: (group: string) => string
  }
  tray: {
    show: string
    hide: string
    newTask: string
    noRunning: string
    open: string
    cancel: string
    andMore: (more: number) => string
    pauseAll: string
    resumeAll: string
    lastFailures: (unseen: number) => string
    runFavourite: string
    noFavourites: string
    removedTask: (taskId: number) => string
    quit: string
    tooltipIdle: string
    /** `summary`: the parts below, joined by `separator`. */
    tooltip: (summary: string) => string
    separator: string
    running: (n: number) => string
    paused: (n: number) => string
    newFailures: (n: number) => string
    queuePaused: string
  }
  appMenu: {
    file: string
    edit: string
    view: string
    window: string
    help: string
    newTask: string
    pauseAll: string
    resumeAll: string
    settings: string
    quit: string
    quitApp: string
    tasks: string
    loop: string
    dashboard: string
    projectPage: string
    roles: Readonly<Record<MenuRole, string>>
  }
  quit: {
    title: string
    keepRunning: string
    stopAndQuit: string
    cancel: string
    message: (running: number) => string
    detail: string
  }
  shortcuts: {
    /** The app's global shortcuts by id (favourites apart). */
    titles: { 'toggle-window': string; 'quick-add': string; 'pause-resume-all': string }
    favourite: (n: number) => string
    /** A shortcut's title as a message names it. */
    named: (title: string) => string
    trigger: (name: string) => string
    emptyPart: string
    notModifier: (modifier: string) => string
    repeatsModifier: string
    notKey: (key: string) => string
    needsModifier: string
    invalid: (accelerator: string, why: string) => string
    unknownId: (id: string) => string
    duplicate: (accelerator: string, owner: string) => string
    triggerDuplicate: (accelerator: string, owner: string, trigger: string) => string
    taken: (accelerator: string, owner: string) => string
    notUnderstood: (accelerator: string) => string
  }
  startFailed: string
  /** The error box's title when the engine's thread stops under the running app (the app quits). */
  engineStopped: string
  /** What Taskdeck is, for desktop entries (Linux menus, autostart). */
  appDescription: string
}

const en: DesktopStrings = {
  duration: { ms: (n) => `${n} ms`, s: (n) => `${n} s`, minS: (m, s) => `${m} min ${s} s`, hMin: (h, m) => `${h} h ${m} min` },
  notification: {
    finishedTitle: (name) => `Finished: ${name}`,
    failedTitle: (name) => `Failed: ${name}`,
    succeeded: (took) => (took === null ? 'Succeeded.' : `Succeeded after ${took}.`),
    failed: (detail, took) => (took === null ? `${detail}.` : `${detail} after ${took}.`),
    timedOut: 'Timed out',
    interrupted: 'Interrupted',
    exitedWithCode: (code) => `Exited with code ${code}`,
    unknownFailure: 'Failed',
    burstTitle: (count, failed) => `${count} tasks finished${failed > 0 ? `, ${failed} failed` : ''}`,
    burstFailed: (names) => `Failed: ${names}`,
    burstSucceeded: (names) => `Succeeded: ${names}`,
    listSeparator: ', ',
    andMore: (names, more) => `${names} and ${more} more`,
    retry: 'Retry',
    openLog: 'Open Log',
    groupPaused: (group) => `Group ${group} is paused until you resume it.`,
  },
  tray: {
    show: 'Show Taskdeck',
    hide: 'Hide Taskdeck',
    newTask: 'New Task…',
    noRunning: 'No running tasks',
    open: 'Open',
    cancel: 'Cancel',
    andMore: (more) => `…and ${more} more`,
    pauseAll: 'Pause All',
    resumeAll: 'Resume All',
    lastFailures: (unseen) => (unseen > 0 ? `Last Failures (${unseen} new)` : 'Last Failures'),
    runFavourite: 'Run Favourite',
    noFavourites: 'No favourites yet (add them in Settings)',
    removedTask: (taskId) => `Task #${taskId} (removed)`,
    quit: 'Quit Taskdeck',
    tooltipIdle: 'Taskdeck: idle',
    tooltip: (summary) => `Taskdeck: ${summary}`,
    separator: ', ',
    running: (n) => `${n} ${n === 1 ? 'task' : 'tasks'} running`,
    paused: (n) => `${n} paused`,
    newFailures: (n) => `${n} ${n === 1 ? 'new failure' : 'new failures'}`,
    queuePaused: 'queue paused',
  },
  appMenu: {
    file: '&File',
    edit: '&Edit',
    view: '&View',
    window: '&Window',
    help: '&Help',
    newTask: 'New Task…',
    pauseAll: 'Pause All Tasks',
    resumeAll: 'Resume All Tasks',
    settings: 'Settings…',
    quit: 'Quit',
    quitApp: 'Quit Taskdeck',
    tasks: 'Tasks',
    loop: 'Event Loop',
    dashboard: 'Dashboard',
    projectPage: 'Taskdeck on GitHub',
    roles: {
      about: 'About Taskdeck',
      services: 'Services',
      hide: 'Hide Taskdeck',
      hideOthers: 'Hide Others',
      unhide: 'Show All',
      quit: 'Quit Taskdeck',
      undo: 'Undo',
      redo: 'Redo',
      cut: 'Cut',
      copy: 'Copy',
      paste: 'Paste',
      selectAll: 'Select All',
      reload: 'Reload',
      toggleDevTools: 'Toggle Developer Tools',
      resetZoom: 'Actual Size',
      zoomIn: 'Zoom In',
      zoomOut: 'Zoom Out',
      togglefullscreen: 'Toggle Full Screen',
      minimize: 'Minimize',
      close: 'Close Window',
      zoom: 'Zoom',
      front: 'Bring All to Front',
    },
  },
  quit: {
    title: 'Tasks are still running',
    keepRunning: 'Keep Running in Tray',
    stopAndQuit: 'Stop Tasks and Quit',
    cancel: 'Cancel',
    message: (running) => (running === 1 ? '1 task is still running.' : `${running} tasks are still running.`),
    detail: 'Quitting stops them. Keep Taskdeck running in the tray to let them finish.',
  },
  shortcuts: {
    titles: { 'toggle-window': 'Show or hide the window', 'quick-add': 'New task', 'pause-resume-all': 'Pause or resume all tasks' },
    favourite: (n) => `Run favourite ${n}`,
    named: (title) => `"${title}"`,
    trigger: (name) => `the shortcut trigger "${name}"`,
    emptyPart: 'has an empty part (write "Plus" for the + key)',
    notModifier: (modifier) => `"${modifier}" is not a modifier`,
    repeatsModifier: 'repeats a modifier',
    notKey: (key) => `"${key}" is not a key`,
    needsModifier: 'needs a modifier (only F1–F24 may stand alone)',
    invalid: (accelerator, why) => `${accelerator} ${why}.`,
    unknownId: (id) => `There is no global shortcut called "${id}".`,
    duplicate: (accelerator, owner) => `${accelerator} is already used by ${owner}.`,
    triggerDuplicate: (accelerator, owner, trigger) => `${accelerator} is already used by ${owner}; the shortcut trigger "${trigger}" is not active.`,
    taken: (accelerator, owner) => `${accelerator} is taken by another application; choose another for ${owner}.`,
    notUnderstood: (accelerator) => `${accelerator} is not an accelerator this system understands.`,
  },
  startFailed: 'Taskdeck could not start',
  engineStopped: 'Taskdeck stopped: its engine failed. Start it again; your tasks and history are kept.',
  appDescription: 'Run, watch and steer background jobs',
}

const ko: DesktopStrings = {
  duration: { ms: (n) => `${n} ms`, s: (n) => `${n}초`, minS: (m, s) => `${m}분 ${s}초`, hMin: (h, m) => `${h}시간 ${m}분` },
  notification: {
    finishedTitle: (name) => `완료: ${name}`,
    failedTitle: (name) => `실패: ${name}`,
    succeeded: (took) => (took === null ? '성공했습니다.' : `${took} 만에 성공했습니다.`),
    failed: (detail, took) => (took === null ? detail : `${detail} (${took} 후)`),
    timedOut: '시간 초과',
    interrupted: '중단됨',
    exitedWithCode: (code) => `종료 코드 ${code}`,
    unknownFailure: '실패',
    burstTitle: (count, failed) => `작업 ${count}개 완료${failed > 0 ? `, ${failed}개 실패` : ''}`,
    burstFailed: (names) => `실패: ${names}`,
    burstSucceeded: (names) => `성공: ${names}`,
    listSeparator: ', ',
    andMore: (names, more) => `${names} 외 ${more}개`,
    retry: '다시 실행',
    openLog: '로그 열기',
    groupPaused: (group) => `${group} 그룹은 재개할 때까지 일시 중지됩니다.`,
  },
  tray: {
    show: 'Taskdeck 보이기',
    hide: 'Taskdeck 숨기기',
    newTask: '새 작업…',
    noRunning: '실행 중인 작업 없음',
    open: '열기',
    cancel: '취소',
    andMore: (more) => `…외 ${more}개`,
    pauseAll: '모두 일시 중지',
    resumeAll: '모두 재개',
    lastFailures: (unseen) => (unseen > 0 ? `최근 실패 (새 실패 ${unseen}개)` : '최근 실패'),
    runFavourite: '즐겨찾기 실행',
    noFavourites: '즐겨찾기가 아직 없습니다 (설정에서 추가하세요)',
    removedTask: (taskId) => `작업 #${taskId} (삭제됨)`,
    quit: 'Taskdeck 종료',
    tooltipIdle: 'Taskdeck: 대기 중',
    tooltip: (summary) => `Taskdeck: ${summary}`,
    separator: ', ',
    running: (n) => `작업 ${n}개 실행 중`,
    paused: (n) => `${n}개 일시 중지`,
    newFailures: (n) => `새 실패 ${n}개`,
    queuePaused: '대기열 일시 중지됨',
  },
  appMenu: {
    file: '파일(&F)',
    edit: '편집(&E)',
    view: '보기(&V)',
    window: '창(&W)',
    help: '도움말(&H)',
    newTask: '새 작업…',
    pauseAll: '모든 작업 일시 중지',
    resumeAll: '모든 작업 재개',
    settings: '설정…',
    quit: '종료',
    quitApp: 'Taskdeck 종료',
    tasks: '작업',
    loop: '이벤트 루프',
    dashboard: '대시보드',
    projectPage: 'GitHub의 Taskdeck',
    roles: {
      about: 'Taskdeck 정보',
      services: '서비스',
      hide: 'Taskdeck 가리기',
      hideOthers: '기타 가리기',
      unhide: '모두 보기',
      quit: 'Taskdeck 종료',
      undo: '실행 취소',
      redo: '다시 실행',
      cut: '잘라내기',
      copy: '복사',
      paste: '붙여넣기',
      selectAll: '모두 선택',
      reload: '새로 고침',
      toggleDevTools: '개발자 도구 켜기/끄기',
      resetZoom: '실제 크기',
      zoomIn: '확대',
      zoomOut: '축소',
      togglefullscreen: '전체 화면 켜기/끄기',
      minimize: '최소화',
      close: '창 닫기',
      zoom: '확대/축소',
      front: '모두 앞으로 가져오기',
    },
  },
  quit: {
    title: '작업이 아직 실행 중입니다',
    keepRunning: '트레이에서 계속 실행',
    stopAndQuit: '작업 중지 후 종료',
    cancel: '취소',
    message: (running) => `작업 ${running}개가 아직 실행 중입니다.`,
    detail: '종료하면 실행 중인 작업이 중지됩니다. 작업을 끝까지 실행하려면 Taskdeck을 트레이에 남겨 두세요.',
  },
  shortcuts: {
    titles: { 'toggle-window': '창 보이기 / 숨기기', 'quick-add': '새 작업', 'pause-resume-all': '모든 작업 일시 중지 / 재개' },
    favourite: (n) => `즐겨찾기 ${n} 실행`,
    named: (title) => `“${title}”`,
    trigger: (name) => `단축키 트리거 “${name}”`,
    emptyPart: '빈 부분이 있습니다 (+ 키는 “Plus”로 쓰세요)',
    notModifier: (modifier) => `“${modifier}”은(는) 보조 키가 아닙니다`,
    repeatsModifier: '같은 보조 키가 두 번 있습니다',
    notKey: (key) => `“${key}”은(는) 키가 아닙니다`,
    needsModifier: '보조 키가 필요합니다 (F1–F24만 단독으로 쓸 수 있습니다)',
    invalid: (accelerator, why) => `${accelerator}: ${why}.`,
    unknownId: (id) => `“${id}” 라는 전역 단축키는 없습니다.`,
    duplicate: (accelerator, owner) => `${accelerator}은(는) 이미 ${owner}에 쓰이고 있습니다.`,
    triggerDuplicate: (accelerator, owner, trigger) => `${accelerator}은(는) 이미 ${owner}에 쓰이고 있어 단축키 트리거 “${trigger}”이(가) 동작하지 않습니다.`,
    taken: (accelerator, owner) => `${accelerator}은(는) 다른 프로그램이 쓰고 있습니다. ${owner}에 다른 키를 고르세요.`,
    notUnderstood: (accelerator) => `${accelerator}은(는) 이 시스템이 알아듣지 못하는 단축키입니다.`,
  },
  startFailed: 'Taskdeck을 시작할 수 없습니다',
  engineStopped: 'Taskdeck이 멈췄습니다: 엔진에 오류가 났습니다. 다시 시작하세요. 작업과 기록은 그대로 남아 있습니다.',
  appDescription: '백그라운드 작업을 실행하고 지켜보고 조정합니다',
}

export const DESKTOP_STRINGS: Readonly<Record<Language, DesktopStrings>> = { en, ko }

export function desktopStrings(language: Language): DesktopStrings {
  return DESKTOP_STRINGS[language]
}

/** A duration as people read it, in `language`: "1 min 23 s", "1분 23초". */
export function formatDuration(ms: number, language: Language): string {
  const words = DESKTOP_STRINGS[language].duration
  if (ms < 1000) return words.ms(Math.round(ms))
  const totalSeconds = Math.round(ms / 1000)
  if (totalSeconds < 60) return words.s(totalSeconds)
  const totalMinutes = Math.floor(totalSeconds / 60)
  if (totalMinutes < 60) return words.minS(totalMinutes, totalSeconds % 60)
  return words.hMin(Math.floor(totalMinutes / 60), totalMinutes % 60)
}

/**
 * The end-reason templates (endReasons.ts) read the way i18next reads them: a dotted key
 * under `engine.`, `{{name}}` replaced by its value. A few lines instead of an i18next
 * instance in main, because the templates use nothing else (decisions-language.test.ts
 * holds this to the window's i18next wording for every reason, in both languages).
 */
function endReasonTranslator(language: Language): Translate {
  return (key, values) => {
    let found: unknown = END_REASON_MESSAGES[language]
    for (const part of key.split('.').slice(1)) found = typeof found === 'object' && found !== null ? (found as Record<string, unknown>)[part] : undefined
    if (typeof found !== 'string') return key
    return found.replace(/\{\{(\w+)\}\}/g, (_placeholder, name: string) => String(values?.[name] ?? ''))
  }
}

/** Why a run or task ended, in `language`, as the window says it (durations in the desktop's format). */
export function sayEndReasonIn(reason: EndReason, language: Language): string {
  return sayEndReason(reason, endReasonTranslator(language), { time: (at) => new Date(at).toISOString(), duration: (ms) => formatDuration(ms, language) })
}
