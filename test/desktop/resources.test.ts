import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resourceDir, TRAY_ICON_STATES, trayIconFileName, trayIconPath, windowIconPath } from '../../src-shared/decisions/resources.ts'

const repo = join(import.meta.dirname, '..', '..')
const dev = { isPackaged: false, resourcesPath: '/unused', appPath: repo }

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path)
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)]
}

/** The sizes stored in an .ico directory (0 means 256). */
function icoSizes(path: string): number[] {
  const bytes = readFileSync(path)
  expect(bytes.readUInt16LE(2)).toBe(1)
  return Array.from({ length: bytes.readUInt16LE(4) }, (_, i) => bytes[6 + i * 16] || 256)
}

describe('resource paths', () => {
  it('resolves packaged paths next to app.asar and development paths in the repository', () => {
    const packaged = { isPackaged: true, resourcesPath: '/opt/Taskdeck/resources', appPath: '/opt/Taskdeck/resources/app.asar' }
    expect(resourceDir('tray', packaged)).toBe('/opt/Taskdeck/resources/tray')
    expect(trayIconPath('failed', 'darwin', { ...packaged, resourcesPath: '/Applications/Taskdeck.app/Contents/Resources' })).toBe(
      '/Applications/Taskdeck.app/Contents/Resources/tray/tray-failedTemplate.png',
    )
    expect(trayIconPath('idle', 'win32', { ...packaged, resourcesPath: 'C:/Program Files/Taskdeck/resources' })).toBe('C:/Program Files/Taskdeck/resources/tray/tray-idle.ico')
    expect(trayIconPath('running', 'linux', dev)).toBe(`${repo}/resources/tray/tray-running.png`)
    expect(windowIconPath('darwin', packaged)).toBeUndefined()
    expect(windowIconPath('linux', packaged)).toBe('/opt/Taskdeck/resources/icons/512x512.png')
  })
})

describe('committed icons', () => {
  it.each(TRAY_ICON_STATES)('has crisp tray icons for %s on every platform', (state) => {
    const mac = trayIconPath(state, 'darwin', dev)
    expect(pngSize(mac)).toEqual([16, 16])
    expect(pngSize(mac.replace('.png', '@2x.png'))).toEqual([32, 32])
    const linux = trayIconPath(state, 'linux', dev)
    expect(pngSize(linux)).toEqual([16, 16])
    expect(pngSize(linux.replace('.png', '@2x.png'))).toEqual([32, 32])
    expect(icoSizes(trayIconPath(state, 'win32', dev))).toEqual([16, 20, 24, 32, 48])
    expect(trayIconFileName(state, 'darwin')).toMatch(/Template\.png$/)
  })

  it('has macOS template images that are black with alpha only', () => {
    // A template image's colour is ignored by macOS; a coloured pixel means a wrong source.
    for (const state of TRAY_ICON_STATES) {
      const svg = readFileSync(join(repo, 'resources', 'src', `tray-${state}-template.svg`), 'utf8')
      const colours = new Set([...svg.matchAll(/fill="(#[0-9a-f]{3,6})"/gi)].map((m) => m[1]?.toLowerCase()))
      expect([...colours].every((c) => c === '#000' || c === '#fff')).toBe(true)
    }
  })

  it('has the app icon in every format the installers use', () => {
    for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) {
      expect(pngSize(join(repo, 'resources', 'icons', `${size}x${size}.png`))).toEqual([size, size])
    }
    expect(icoSizes(join(repo, 'resources', 'icons', 'icon.ico'))).toEqual([16, 24, 32, 48, 64, 128, 256])
    expect(readFileSync(join(repo, 'resources', 'icons', 'icon.icns')).subarray(0, 4).toString('latin1')).toBe('icns')
    expect(existsSync(join(repo, 'resources', 'render-icons.sh'))).toBe(true)
  })
})
