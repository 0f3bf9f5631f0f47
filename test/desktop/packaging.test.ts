import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, matchesGlob, relative, sep } from 'node:path'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js'
import type { Configuration } from 'app-builder-lib'
import { DebugLogger } from 'builder-util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEEP_LINK_SCHEME } from '../../src-shared/decisions/launchArgs.ts'
import { APP_ID, TRAY_ICON_STATES, trayIconPath, windowIconPath } from '../../src-shared/decisions/resources.ts'
import { DESKTOP_STRINGS } from '../../src-shared/decisions/strings.ts'

// The electron-builder configuration, loaded and validated by electron-builder itself, then
// checked against the built out/ tree. No installer can be produced here (no Electron binary).
const repo = join(import.meta.dirname, '..', '..')
let config: Configuration

beforeAll(async () => {
  config = await getConfig(repo, null, null)
})

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

/** `files` as patterns: electron-builder normalises the YAML list to `[{ filter: [...] }]`. */
const filePatterns = (): string[] =>
  (config.files as Array<string | { filter?: string[] }>).flatMap((entry) => (typeof entry === 'string' ? [entry] : (entry.filter ?? [])))

/** electron-builder's `files` semantics: included when a positive pattern matches and no later "!" pattern does. */
function included(path: string, patterns: readonly string[]): boolean {
  let result = false
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchesGlob(path, pattern.slice(1))) result = false
    } else if (matchesGlob(path, pattern)) result = true
  }
  return result
}

describe('electron-builder configuration', () => {
  it('loads and passes electron-builder’s own schema validation', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
    // The same id is the Windows AppUserModelID main sets, or notifications never show there.
    expect(config.appId).toBe(APP_ID)
    expect(config.productName).toBe('Taskdeck')
  })

  it('is really validated: a misspelt option is refused', async () => {
    const broken = { ...config, electronFuse: { runAsNode: false } } as Configuration
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/electronFuse/)
  })

  it('flips the security fuses', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
      enableCookieEncryption: true,
      loadBrowserProcessSpecificV8Snapshot: false,
    })
    expect(config.asar).toBe(true)
  })

  it('builds every target the brief asks for, with the deep-link scheme and no update metadata', () => {
    const targets = (platform: { target?: unknown } | null | undefined) => platform?.target
    expect(targets(config.linux)).toEqual(['AppImage', 'deb', 'rpm'])
    expect(targets(config.mac)).toEqual(['dmg', 'zip'])
    expect(targets(config.win)).toEqual(['nsis'])
    // Nothing in the app checks for updates (electron-updater was removed): no feed is written or published.
    expect(config.publish).toBeNull()
    expect(config.protocols).toEqual([{ name: 'Taskdeck link', schemes: [DEEP_LINK_SCHEME] }])
    expect(config.linux?.desktop?.desktopActions).toEqual({ NewTask: { Name: 'New Task', 'Name[ko]': '새 작업', Exec: 'taskdeck --quick-add' } })
    // The Linux menu entry speaks Korean too, in the app's own words.
    expect(config.linux?.desktop?.entry).toMatchObject({ Comment: DESKTOP_STRINGS.en.appDescription, 'Comment[ko]': DESKTOP_STRINGS.ko.appDescription })
  })

  it('points at icons and entitlements that exist', () => {
    for (const path of [config.mac?.icon, config.win?.icon, config.linux?.icon, config.mac?.entitlements]) {
      expect(typeof path).toBe('string')
      expect(existsSync(join(repo, path as string)), String(path)).toBe(true)
    }
  })
})

describe('packaged files (against the built out/ tree)', () => {
  const out = join(repo, 'out')

  it('has a build to check', () => {
    expect(existsSync(join(out, 'main', 'index.js')), 'out/ is missing: run `npx electron-vite build`').toBe(true)
  })

  it('includes every built file the app loads, and the package.json that names the entry', () => {
    const patterns = filePatterns()
    // out/cli is the npm CLI's bundle (run by bin/taskdeck.js), not part of the app.
    const built = walk(out)
      .map((p) => relative(repo, p))
      .filter((p) => !p.startsWith(`out${sep}cli${sep}`))
    const shipped = built.filter((p) => included(p, patterns))
    expect(shipped.filter((p) => p.endsWith('.map'))).toEqual([])
    expect(built.filter((p) => !p.endsWith('.map') && !included(p, patterns))).toEqual([])
    for (const entry of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/main/script-worker.js', 'out/main/runtime-worker.js']) {
      expect(shipped, entry).toContain(entry)
    }
    expect(included('package.json', patterns)).toBe(true)
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { main: string }
    expect(included(relative('.', pkg.main), patterns)).toBe(true)
  })

  it('leaves sources, tests and secrets out', () => {
    const patterns = filePatterns()
    for (const path of ['src-main/desktop/main.ts', 'src-preload/index.ts', 'test/desktop/packaging.test.ts', '.env', 'electron-builder.yml', 'resources/src/icon.svg']) {
      expect(included(path, patterns), path).toBe(false)
    }
  })

  it('can resolve every module the main bundle imports once packaged (Node built-ins, electron, or a production dependency)', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    const imports = new Set<string>()
    for (const file of walk(join(out, 'main')).filter((p) => p.endsWith('.js'))) {
      const code = readFileSync(file, 'utf8')
      // Static imports start a line in the bundle; dynamic ones are import("…").
      for (const match of code.matchAll(/^import\s(?:[^;]*?\sfrom\s*)?"([^".][^"]*)";?$/gm)) imports.add(match[1] ?? '')
      for (const match of code.matchAll(/\bimport\("([^".][^"]*)"\)/g)) imports.add(match[1] ?? '')
    }
    const packageName = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? ''))
    const unresolvable = [...imports].filter((s) => !s.startsWith('node:') && s !== 'electron' && !Object.hasOwn(pkg.dependencies, packageName(s)))
    expect(unresolvable).toEqual([])
    expect(imports.size).toBeGreaterThan(0)
  })

  it('keeps the sandboxed preload self-contained (it may require only electron)', () => {
    const preload = readFileSync(join(out, 'preload', 'index.cjs'), 'utf8')
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron'])
  })
})

describe('resources from packaged paths', () => {
  let resourcesPath: string
  beforeAll(() => {
    // Lay out extraResources exactly as electron-builder copies them next to app.asar.
    resourcesPath = mkdtempSync(join(tmpdir(), 'taskdeck-resources-'))
    for (const entry of config.extraResources as Array<{ from: string; to: string; filter?: string[] }>) {
      cpSync(join(repo, entry.from), join(resourcesPath, entry.to), {
        recursive: true,
        filter: (source) => statSync(source).isDirectory() || !entry.filter || entry.filter.some((f) => matchesGlob(relative(join(repo, entry.from), source), f)),
      })
    }
  })
  afterAll(() => rmSync(resourcesPath, { recursive: true, force: true }))

  it.each(['darwin', 'win32', 'linux'])('finds every tray icon and the window icon on %s', (platform) => {
    const context = { isPackaged: true, resourcesPath, appPath: join(resourcesPath, 'app.asar') }
    for (const state of TRAY_ICON_STATES) {
      const path = trayIconPath(state, platform, context)
      expect(existsSync(path), path).toBe(true)
      if (platform !== 'win32') expect(existsSync(path.replace('.png', '@2x.png')), `${path} @2x`).toBe(true)
    }
    const icon = windowIconPath(platform, context)
    if (icon !== undefined) expect(existsSync(icon), icon).toBe(true)
  })
})
