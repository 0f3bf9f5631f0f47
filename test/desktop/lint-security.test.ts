import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// Security checklist item 8 (PEERS A1): web preferences that weaken the renderer are refused
// by the project's own ESLint configuration, in any object literal, in any folder.
const repo = join(import.meta.dirname, '..', '..')
const eslint = new ESLint({ cwd: repo })

async function restricted(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repo, file) })
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message)
}

const weakening = [
  'webSecurity: false',
  'allowRunningInsecureContent: true',
  'allowRunningInsecureContent: insecure',
  'experimentalFeatures: true',
  "enableBlinkFeatures: 'CSSColorSchemeUARendering'",
  'nodeIntegration: true',
  'nodeIntegrationInWorker: true',
  'nodeIntegrationInSubFrames: true',
  'contextIsolation: false',
  'sandbox: false',
  "'webSecurity': false",
]

describe('ESLint bans weakening web preferences', () => {
  // An existing file, so the type-aware parser knows it; the linted text is the string given.
  for (const file of ['src-main/desktop/window.ts', 'src-preload/index.ts', 'src-main/engine/engine.ts']) {
    // One object per line, so each finding is one preference; the first lint builds the type-aware project (slow).
    it(`fires in ${file}`, { timeout: 180_000 }, async () => {
      const code = weakening.map((pref, i) => `export const prefs${i} = { ${pref} }\n`).join('')
      const [result] = await eslint.lintText(code, { filePath: join(repo, file) })
      const found = result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax')
      expect(found.map((m) => m.line)).toEqual(weakening.map((_, i) => i + 1))
      for (const m of found) expect(m.message).toMatch(/Electron security checklist/)
    })
  }

  it('leaves the safe values alone, and keeps the existing ipcRenderer rule in desktop code', { timeout: 180_000 }, async () => {
    const safe = 'export const prefs = { webSecurity: true, nodeIntegration: false, contextIsolation: true, sandbox: true, allowRunningInsecureContent: false, experimentalFeatures: false }\n'
    expect(await restricted(safe, 'src-main/desktop/window.ts')).toEqual([])
    // The same word in another meaning (a variable, not an object key) is not a finding.
    expect(await restricted('export const sandbox = false\n', 'src-main/desktop/window.ts')).toEqual([])
    expect(await restricted('declare const ipcRenderer: { send(): void }\nipcRenderer.send()\n', 'src-main/desktop/window.ts')).toHaveLength(1)
  })
})
