import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from 'react'
import { useTranslation } from 'react-i18next'
import type { Run } from '../../src-shared/index.ts'
import { LOG_JUMP_INPUT_ID } from '../actions.ts'
import { AnsiText } from '../components/AnsiText.tsx'
import { Kbd, formatBytes, useEngineSentences } from '../components/common.tsx'
import { useObservableState, useSubscription } from '../hooks/observable.ts'
import { LogWindow, findInLog, type LogLineView } from '../streams/log-window.ts'
import { useModel, useShortcut } from './context.ts'

const LINE_HEIGHT = 18
/** Lines are keyed by slot (line number modulo this), so following a growing log reuses DOM rows. */
const LINE_SLOTS = 512
/** Browsers cap an element's height (Chromium near 33.5M px); past this the scrollbar is scaled. */
const MAX_SCROLL_PX = 8_000_000

/**
 * The live log viewer. Hand-written rather than @tanstack/react-virtual because a
 * ten-million-line log is taller than any element can be: here the scroll position maps
 * to a line number (scaled when needed) and only the visible lines are fetched and drawn.
 */
export function LogViewer({ run }: { run: Run }) {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const readLog = useMemo(() => (params: Parameters<typeof model.bridge.invoke<'run.readLog'>>[1]) => model.bridge.invoke('run.readLog', params), [model])
  const log = useMemo(() => new LogWindow(run.id, run.logLines, readLog), [run.id, readLog])
  useObservableState(log.version$, 0)
  const scrollRef = useRef<HTMLDivElement>(null)
  const [viewportHeight, setViewportHeight] = useState(400)
  const [scrollTop, setScrollTop] = useState(0)
  const [follow, setFollow] = useState(true)
  const [search, setSearch] = useState('')
  const [match, setMatch] = useState<number | null>(null)
  const [searching, setSearching] = useState(false)
  const [jump, setJump] = useState('')
  const [notice, setNotice] = useState<string | null>(null)
  const followShortcut = useShortcut('log.follow')
  const jumpShortcut = useShortcut('log.jump')

  // Watch before reading the length: output written after the read then arrives live, and
  // output written before it is counted by it (an overlap is recognised by append).
  useEffect(() => model.watchRun(run.id), [model, run.id])
  useEffect(() => {
    void log.refresh()
  }, [log])
  useSubscription(model.output$, (batch) => {
    for (const chunk of batch) log.append(chunk)
  })
  useSubscription(model.outputResync$, () => void log.resync())
  useSubscription(model.logCommands$, (command) => {
    if (command === 'follow') setFollow((f) => !f)
  })

  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el) return
    const observer = new ResizeObserver(() => setViewportHeight(el.clientHeight))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  const total = log.totalLines
  const visibleRows = Math.ceil(viewportHeight / LINE_HEIGHT) + 1
  const contentHeight = total * LINE_HEIGHT
  const scaled = contentHeight > MAX_SCROLL_PX
  const spacerHeight = Math.max(scaled ? MAX_SCROLL_PX : contentHeight, viewportHeight)
  const maxScrollTop = Math.max(0, spacerHeight - viewportHeight)
  const maxTopLine = Math.max(0, total - (visibleRows - 1))
  // Following, the view is drawn at the bottom at once: a fast run's tail jumps thousands of
  // lines per update, and drawing at the last reported position until the scroll event
  // catches up would show an empty frame each time.
  const viewTop = follow ? maxScrollTop : scrollTop
  const topLine = scaled ? (maxScrollTop === 0 ? 0 : (viewTop / maxScrollTop) * maxTopLine) : viewTop / LINE_HEIGHT
  const scrollTopForLine = (line: number) => (scaled ? (Math.min(line, maxTopLine) / Math.max(1, maxTopLine)) * maxScrollTop : line * LINE_HEIGHT)
  const first = Math.floor(topLine)
  const last = Math.min(total, first + visibleRows + 1)
  log.ensure(first, last + 50)

  // Follow mode keeps the newest line in view as the log grows. It compares with the
  // position the last scroll event reported rather than reading el.scrollTop, which would
  // force a synchronous layout on every chunk even when (scaled, at the bottom) nothing moves.
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (follow && el && scrollTop !== maxScrollTop) el.scrollTop = maxScrollTop
  }, [follow, maxScrollTop, scrollTop])

  // Only the user's own scrolling (wheel, scrollbar, keys) turns follow off; scrolls made
  // by follow itself or by a re-layout never do.
  const userScrolledAt = useRef(0)
  const markUserScroll = () => {
    userScrolledAt.current = performance.now()
  }
  const onScroll = () => {
    const el = scrollRef.current
    if (!el) return
    setScrollTop(el.scrollTop)
    const atBottom = el.scrollTop >= maxScrollTop - LINE_HEIGHT
    const byUser = performance.now() - userScrolledAt.current < 1000
    if (byUser && atBottom !== follow) setFollow(atBottom)
    else if (atBottom && !follow) setFollow(true)
  }

  const scrollToLine = (line: number) => {
    const el = scrollRef.current
    if (!el) return
    setFollow(false)
    const target = Math.max(0, line - Math.floor(visibleRows / 3))
    el.scrollTop = scrollTopForLine(target)
    setScrollTop(el.scrollTop)
  }

  const find = async (direction: 1 | -1) => {
    if (!search) return
    setSearching(true)
    const from = match === null ? first : match + direction
    const found = await findInLog(readLog, run.id, search, Math.max(0, Math.min(total - 1, from)), total, direction)
    setSearching(false)
    if (found === null) setNotice(t('log.noMatch', { text: search }))
    else {
      setNotice(null)
      setMatch(found)
      scrollToLine(found)
    }
  }

  const copy = async () => {
    const lines: string[] = []
    // What the screen shows: the text a terminal shows of each line, its colour codes left out.
    for (let n = first; n < last; n++) lines.push(log.plainText(n) ?? '')
    try {
      await navigator.clipboard.writeText(lines.join('\n'))
      setNotice(t('log.copied', { count: lines.length }))
    } catch (error) {
      model.toast('error', t('log.copyFailed'), error instanceof Error ? error.message : String(error))
    }
  }

  const blockTop = viewTop - (topLine - first) * LINE_HEIGHT
  const stderrMark = t('log.stderrMark')
  const stderrLabel = t('log.stderrLabel')
  const rows = []
  for (let n = first; n < last; n++) {
    rows.push(<LogRow key={n % LINE_SLOTS} n={n} line={log.line(n)} isMatch={n === match} highlight={search || undefined} stderrMark={stderrMark} stderrLabel={stderrLabel} />)
  }

  return (
    <div className="log-viewer">
      <div className="log-toolbar" role="toolbar" aria-label={t('log.toolbar')}>
        <button type="button" className={`btn btn-ghost toggle ${follow ? 'on' : ''}`} aria-pressed={follow} title={`${t('log.follow')} (${followShortcut})`} onClick={() => setFollow(!follow)}>
          {follow ? '● ' : '○ '}
          {t('log.follow')} <Kbd>{followShortcut}</Kbd>
        </button>
        <form
          className="log-search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault()
            void find(1)
          }}
        >
          <input
            type="search"
            aria-label={t('log.search')}
            placeholder={t('log.search')}
            value={search}
            onChange={(e) => {
              setSearch(e.target.value)
              setMatch(null)
              setNotice(null)
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && e.shiftKey) {
                e.preventDefault()
                void find(-1)
              }
            }}
          />
          <button type="button" className="btn btn-ghost icon" aria-label={t('log.previous')} title={`${t('log.previous')} (⇧↵)`} onClick={() => void find(-1)} disabled={!search || searching}>
            ↑
          </button>
          <button type="submit" className="btn btn-ghost icon" aria-label={t('log.next')} title={`${t('log.next')} (↵)`} disabled={!search || searching}>
            ↓
          </button>
        </form>
        <form
          className="log-jump"
          onSubmit={(e) => {
            e.preventDefault()
            const line = Number(jump)
            if (Number.isInteger(line) && line >= 1 && line <= total) {
              setMatch(line - 1)
              scrollToLine(line - 1)
              setNotice(null)
            } else setNotice(t('log.badLine', { total }))
          }}
        >
          <input
            id={LOG_JUMP_INPUT_ID}
            inputMode="numeric"
            aria-label={t('log.jump')}
            placeholder={`${t('log.jump')} (${jumpShortcut})`}
            value={jump}
            onChange={(e) => setJump(e.target.value.replace(/[^0-9]/g, ''))}
          />
        </form>
        <button type="button" className="btn btn-ghost" onClick={() => void copy()} title={t('log.copyTitle')}>
          {t('log.copy')}
        </button>
        <span className="log-count">
          {/* Read out: what the user asked for (a search's result) and errors; not the line count, which grows with every chunk. */}
          <span role="status">{notice ?? (log.error && refusal(log.error))}</span>
          {notice === null && !log.error && t('log.lines', { count: total })}
          {run.droppedBytes > 0 && <span className="log-dropped"> · {t('log.dropped', { size: formatBytes(run.droppedBytes) })}</span>}
        </span>
      </div>
      <div
        className="log-scroll"
        ref={scrollRef}
        onScroll={onScroll}
        onWheel={markUserScroll}
        onPointerDown={markUserScroll}
        onKeyDown={markUserScroll}
        tabIndex={0} role="log" aria-label={t('log.output')} aria-live="off"
        // The line-number gutter is as wide as the last line's number (ten million needs eight digits).
        style={{ '--log-digits': Math.max(4, String(total).length) } as CSSProperties}>
        <div className="log-spacer" style={{ height: spacerHeight }}>
          <div className="log-block" style={{ transform: `translateY(${blockTop}px)` }}>
            {total === 0 ? <div className="log-empty">{run.status === 'running' ? t('log.waiting') : t('log.empty')}</div> : rows}
          </div>
        </div>
      </div>
    </div>
  )
}

/**
 * One line; memoised, so a frame re-renders only the slots whose line changed. A stderr line
 * is told apart by more than its colour (WCAG 1.4.1): a mark in its own gutter column, drawn
 * as CSS generated content so that selecting and copying lines never picks it up, with
 * alternative text (`content: … / attr(data-label)`) that screen readers read before the line.
 * The column is there on every line, so a first stderr line moves nothing.
 */
const LogRow = memo(function LogRow({ n, line, isMatch, highlight, stderrMark, stderrLabel }: { n: number; line: LogLineView | undefined; isMatch: boolean; highlight: string | undefined; stderrMark: string; stderrLabel: string }) {
  return (
    <div className={`log-line ${line ? `log-${line.stream}` : 'log-loading'} ${isMatch ? 'log-match' : ''}`} data-line={n}>
      <span className="log-n" aria-hidden>
        {n + 1}
      </span>
      <span className="log-mark" {...(line?.stream === 'stderr' ? { 'data-mark': stderrMark, 'data-label': stderrLabel } : {})} />
      <span className="log-text">{line ? <AnsiText text={line.text} highlight={highlight} /> : '\u00a0'}</span>
    </div>
  )
})
