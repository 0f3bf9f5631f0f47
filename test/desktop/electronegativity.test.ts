import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contentSecurityPolicy } from '../../src-shared/decisions/csp.ts'
import { ALLOWED_FINDINGS } from './electronegativity/allowlist.ts'

// Electronegativity on what would go into app.asar: the built out/ tree and package.json.
const repo = join(import.meta.dirname, '..', '..')
const require = createRequire(import.meta.url)
let scanned: string
let findings: Array<{ rule: string; file: string; line: number }>

interface SarifResult {
  ruleId: string
  locations?: Array<{ physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }>
}

beforeAll(async () => {
  expect(existsSync(join(repo, 'out', 'main', 'index.js')), 'out/ is missing: run `npx electron-vite build`').toBe(true)
  scanned = mkdtempSync(join(tmpdir(), 'taskdeck-electronegativity-'))
  const app = join(scanned, 'app')
  for (const part of ['main', 'preload', 'renderer']) cpSync(join(repo, 'out', part), join(app, 'out', part), { recursive: true })
  cpSync(join(repo, 'package.json'), join(app, 'package.json'))
  const electronVersion = (require('electron/package.json') as { version: string }).version
  const report = join(scanned, 'report.sarif')
  await promisify(execFile)(process.execPath, [join(import.meta.dirname, 'electronegativity', 'scan.mjs'), app, report, electronVersion], {
    cwd: repo,
    timeout: 240_000,
  })
  const sarif = JSON.parse(readFileSync(report, 'utf8')) as { runs: Array<{ results: SarifResult[] }> }
  findings = (sarif.runs[0]?.results ?? []).map((r) => {
    const location = r.locations?.[0]?.physicalLocation
    return { rule: r.ruleId, file: location?.artifactLocation?.uri ?? '?', line: location?.region?.startLine ?? 0 }
  })
}, 300_000)

afterAll(() => {
  if (scanned) rmSync(scanned, { recursive: true, force: true })
})

describe('Electronegativity on the built app', () => {
  it('scanned the app (it reports the Electron version, so the scan ran)', () => {
    expect(findings.some((f) => f.rule === 'ELECTRON_VERSION_JSON_CHECK')).toBe(true)
  })

  it('finds nothing that is not fixed or justified in the allowlist', () => {
    const unexplained = findings.filter((f) => {
      const allowed = ALLOWED_FINDINGS.find((a) => a.rule === f.rule && a.file === f.file)
      return allowed === undefined || findings.filter((g) => g.rule === f.rule && g.file === f.file).length > allowed.count
    })
    expect(unexplained).toEqual([])
  })

  it('has no stale allowlist entries', () => {
    const stale = ALLOWED_FINDINGS.filter((a) => !findings.some((f) => f.rule === a.rule && f.file === a.file))
    expect(stale).toEqual([])
  })

  it('sees none of the checklist failures we fixed', () => {
    const fixed = ['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'NODE_INTEGRATION_JS_CHECK', 'AUXCLICK_JS_CHECK', 'WEB_SECURITY_JS_CHECK', 'INSECURE_CONTENT_JS_CHECK', 'EXPERIMENTAL_FEATURES_JS_CHECK']
    expect(findings.filter((f) => fixed.includes(f.rule))).toEqual([])
  })
})

describe('the header CSP under the same evaluator', () => {
  it('has no high or medium finding; only the note that self must not host user content', () => {
    const csp = require('@doyensec/csp-evaluator') as {
      CspParser: new (policy: string) => { csp: unknown }
      CspEvaluator: new (csp: unknown, version: unknown) => { evaluate(): Array<{ severity: number; directive: string }> }
      Version: { CSP3: unknown }
      severities: Record<string, number>
    }
    const results = new csp.CspEvaluator(new csp.CspParser(contentSecurityPolicy()).csp, csp.Version.CSP3).evaluate()
    const serious = results.filter((r) => r.severity <= (csp.severities.HIGH_MAYBE ?? 40))
    expect(serious).toEqual([])
    // 'self' on app://bundle serves only our own built files: no JSONP, no uploads.
    expect(results.map((r) => r.directive)).toEqual(['script-src'])
  })
})
