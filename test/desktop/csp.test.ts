import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { contentSecurityPolicy } from '../../src-shared/decisions/csp.ts'
import { launchChromium } from '../support/browser.ts'
import { serveRenderer, type RendererServer } from './renderer-server.ts'

/**
 * What the page's own scripts put on window, as seen from a predicate. Predicates are
 * functions, not strings: Playwright polls a string predicate through `new Function`,
 * which the very CSP under test (rightly) blocks.
 */
interface PageGlobals {
  document: { getElementById(id: string): { childElementCount: number } | null }
  __violations: { blockedURI: string; directive: string }[]
  __evalOutcome?: string
}

// The built renderer bundle in real Chromium under the exact headers app:// sends: a tiny
// loopback server answers every request through the same serveAppRequest as Electron.
const renderer = join(import.meta.dirname, '..', '..', 'out', 'renderer')
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'desktop')
const EVAL_PROBE_PATH = '/__test__/eval-probe.js'
const EVAL_PROBE = "try { new Function('return 1')(); window.__evalOutcome = 'ran' } catch (error) { window.__evalOutcome = error.name }"
let server: RendererServer | undefined
let origin: string
let browser: Browser
let page: Page

interface Violation {
  directive: string
  blockedURI: string
  sample: string
  policy: string
}

beforeAll(async () => {
  expect(existsSync(join(renderer, 'index.html')), 'out/renderer is missing: run `npx electron-vite build`').toBe(true)
  server = await serveRenderer(renderer, (request, response) => {
    if (request.url !== EVAL_PROBE_PATH) return false
    // A same-origin script (allowed by script-src 'self') that tries to eval, as page code would.
    response.writeHead(200, { 'Content-Type': 'text/javascript', 'Content-Security-Policy': contentSecurityPolicy() })
    response.end(EVAL_PROBE)
    return true
  })
  origin = server.origin
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

beforeEach(async () => {
  page = await browser.newPage()
  // Page code is passed as text: this test runs in Node, without DOM types.
  await page.addInitScript(`
    window.__violations = []
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__violations.push({ directive: event.effectiveDirective, blockedURI: event.blockedURI, sample: event.sample, policy: event.originalPolicy })
    })`)
  return async () => {
    await page.close()
  }
})

/**
 * Violations of the header policy. The bundle's index.html also carries a <meta> CSP;
 * browsers enforce both and report a blocked thing once per policy, so each test looks at
 * the policy Electron sends (the meta policy can only narrow it further).
 */
const violations = async () => (await page.evaluate<Violation[]>('window.__violations')).filter((v) => v.policy === contentSecurityPolicy())
const rendered = () => page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('root')!.childElementCount > 0)

describe('the renderer bundle under the app:// CSP header', () => {
  it('is served with the header', async () => {
    const response = await page.goto(`${origin}/index.html`)
    expect(response?.headers()['content-security-policy']).toBe(contentSecurityPolicy())
  })

  it('loads and renders without a single violation', async () => {
    await page.goto(`${origin}/index.html`)
    await rendered()
    await page.waitForLoadState('networkidle')
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'renderer-under-csp.png') })
    const seen = await violations()
    const evalProbe = seen.some((v) => v.blockedURI === 'eval')
    expect(
      seen,
      evalProbe
        ? "The bundle tried eval: zod 4 probes `new Function('')` to enable its JIT. Fix: make the first import of src-renderer/main.tsx a module that calls z.config({ jitless: true }) (before src-shared loads: DEFAULT_SETTINGS parses at import)."
        : 'CSP violations on load',
    ).toEqual([])
  })

  it('blocks an injected inline script and inline event handler, and reports them', async () => {
    await page.goto(`${origin}/index.html`)
    await rendered()
    await page.waitForLoadState('networkidle')
    const before = (await violations()).length
    await page.evaluate(`
      const script = document.createElement('script')
      script.textContent = 'window.__inlineRan = true'
      document.head.appendChild(script)
      const image = document.createElement('img')
      image.setAttribute('onerror', 'window.__handlerRan = true')
      image.src = 'data:image/png;base64,AAAA'
      document.body.appendChild(image)`)
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__violations.filter((v) => v.blockedURI === 'inline').length >= 2)
    expect(await page.evaluate('[window.__inlineRan, window.__handlerRan]')).toEqual([undefined, undefined])
    const seen = (await violations()).slice(before).filter((v) => v.blockedURI === 'inline')
    expect(seen.map((v) => v.directive)).toEqual(['script-src-elem', 'script-src-attr'])
    expect(seen.map((v) => v.blockedURI)).toEqual(['inline', 'inline'])
  })

  it('blocks eval in page scripts and scripts from elsewhere', async () => {
    await page.goto(`${origin}/index.html`)
    await page.evaluate(`
      const probe = document.createElement('script')
      probe.src = ${JSON.stringify(EVAL_PROBE_PATH)}
      document.head.appendChild(probe)
      const foreign = document.createElement('script')
      foreign.src = 'https://cdn.example/evil.js'
      document.head.appendChild(foreign)`)
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__evalOutcome !== undefined)
    expect(await page.evaluate('window.__evalOutcome')).toBe('EvalError')
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__violations.some((v) => v.blockedURI.startsWith('https://cdn.example')))
    const seen = await violations()
    expect(seen.filter((v) => v.blockedURI.startsWith('https://cdn.example')).map((v) => v.directive)).toEqual(['script-src-elem'])
  })
})
