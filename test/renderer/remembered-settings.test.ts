import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../src-shared/index.ts'
import { rememberSettings, rememberedSettings } from '../../src-renderer/remembered-settings.ts'

/** A Storage's two methods over a Map, as localStorage would answer. */
function storage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial))
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value), items }
}

describe('settings remembered for the next start', () => {
  it('gives back what was remembered', () => {
    const store = storage()
    const dark = { ...DEFAULT_SETTINGS, theme: 'dark' as const, language: 'ko' as const }
    rememberSettings(dark, store)
    expect(rememberedSettings(store)).toEqual(dark)
  })

  it('gives nothing (the defaults apply) for nothing stored, text that is not JSON, or settings the contract refuses', () => {
    expect(rememberedSettings(storage())).toBeNull()
    expect(rememberedSettings(storage({ 'taskdeck.settings': '{"theme":' }))).toBeNull()
    expect(rememberedSettings(storage({ 'taskdeck.settings': JSON.stringify({ ...DEFAULT_SETTINGS, theme: 'purple' }) }))).toBeNull()
    expect(rememberedSettings(storage({ 'taskdeck.settings': JSON.stringify({ ...DEFAULT_SETTINGS, logCapBytes: -1 }) }))).toBeNull()
  })

  it('fills what an older version did not store with the defaults', () => {
    expect(rememberedSettings(storage({ 'taskdeck.settings': JSON.stringify({ theme: 'dark' }) }))).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark' })
  })

  it('a storage that refuses to read or write is no error', () => {
    const broken = {
      getItem: (): string | null => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(rememberedSettings(broken)).toBeNull()
    expect(() => rememberSettings(DEFAULT_SETTINGS, broken)).not.toThrow()
  })
})
