import './zod-config.ts'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import type { Observable } from 'rxjs'
import { catchUpHere } from './bridge/catch-up.ts'
import { ipcBridge } from './bridge/ipc.ts'
import type { Bridge, ConnectionState } from './bridge/types.ts'
import { WEBSOCKET_PATH } from '../src-shared/index.ts'
import { takeTokenFromLocation, webSocketBridge } from './bridge/websocket.ts'
import { initI18n, resolveLanguage } from './i18n/index.ts'
import { createAppModel, type ModelOptions } from './model.ts'
import { App } from './views/App.tsx'
import './styles/app.css'

function connect(): { bridge: Bridge; connection$: Observable<ConnectionState>; reconnectNow?: () => void } {
  if (window.taskdeck) {
    const bridge = ipcBridge(window.taskdeck)
    return { bridge, connection$: bridge.connection$ }
  }
  let token = takeTokenFromLocation(window.location, window.history, window.sessionStorage)
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  // History comes over HTTP (read, split, parsed and its framing checked on this thread: measured faster here than
  // in a worker, docs/benchmarks.md "Checking the framing…"), then the WebSocket carries what follows.
  // (For bench:ui to compare: `?transport=ws` keeps the WebSocket's own replay.)
  const transport = new URLSearchParams(window.location.search).get('transport')
  const bridge = webSocketBridge({
    url: `${scheme}//${window.location.host}${WEBSOCKET_PATH}`,
    token: () => token,
    ...(transport === 'ws' ? {} : { catchUp: catchUpHere(window.location.origin) }),
  })
  // A restarted `taskdeck serve` prints a new URL; opening it in this tab reconnects
  // without a reload, so the state and the event position are kept.
  window.addEventListener('hashchange', () => {
    const next = takeTokenFromLocation(window.location, window.history, window.sessionStorage)
    if (next !== token) {
      token = next
      bridge.reconnect()
    }
  })
  return { bridge, connection$: bridge.connection$, reconnectNow: () => bridge.reconnect() }
}

/** `?bench` exposes ingestion counters to `npm run bench:ui`; `?bench&naive` is its baseline; `foldBudget` and `publishMs` tune the pipeline; `view` opens a view. */
function benchOptions(query: URLSearchParams): ModelOptions {
  if (!query.has('bench')) return {}
  // firstAt: the first event received (not the first state shown, which may come later while the page catches up); lastAt: the last state shown.
  const counters = { events: 0, batches: 0, lastSeq: 0, firstAt: 0, lastAt: 0 }
  Object.assign(window, { taskdeckBench: counters })
  return {
    naive: query.has('naive'),
    foldBudgetMs: query.has('foldBudget') ? Number(query.get('foldBudget')) : undefined,
    busyPublishMs: query.has('publishMs') ? Number(query.get('publishMs')) : undefined,
    onReceived: (events) => {
      if (counters.firstAt === 0 && events > 0) counters.firstAt = performance.now()
    },
    onApplied: (events, state) => {
      counters.lastAt = performance.now()
      counters.events += events
      counters.batches++
      counters.lastSeq = state.lastSeq
    },
  }
}

const { bridge, connection$, reconnectNow } = connect()
const query = new URLSearchParams(window.location.search)
const model = createAppModel(bridge, connection$, { ...benchOptions(query), reconnectNow })
// `?bench&view=dashboard` (or loop): the bench measures a replay into that view.
const benchView = query.has('bench') ? query.get('view') : null
if (benchView === 'dashboard' || benchView === 'loop') model.route.set({ view: benchView })
initI18n(resolveLanguage('system', navigator.languages))

const root = document.getElementById('root')
if (!root) throw new Error('index.html must have #root')
createRoot(root).render(
  <StrictMode>
    <App model={model} />
  </StrictMode>,
)
