import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import type { AxeResults } from 'axe-core'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/**
 * Runs axe (injected into the page: the served CSP allows no script from elsewhere) on the whole
 * document as the page shows it now, with every rule of its WCAG 2.x A/AA and best-practice sets:
 * none is switched off, and every impact counts (minor and moderate ones were real too).
 */
export async function runAxe(page: Page): Promise<AxeResults> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE)
  // Two frames: what the last action changed is committed and painted (the pages run with reduced motion: no transitions).
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))')
  return (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<unknown> } }).axe
    return axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] })
  })) as AxeResults
}

/** axe's violations on the page, one line per element and rule, said so a failure names what to fix. */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await runAxe(page)
  return results.violations.flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.map(String).join(' ')} — ${node.failureSummary ?? v.help}`))
}
