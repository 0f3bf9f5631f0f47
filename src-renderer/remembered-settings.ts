import { SettingsSchema, type Settings } from '../src-shared/index.ts'

const KEY = 'taskdeck.settings'

/**
 * The settings this window showed last time, so the first paint already has the user's theme,
 * language and keymap instead of the defaults until `settings.get` answers (a dark app would
 * open light for a moment). What storage holds is checked with the contract's schema like
 * anything read from outside; missing, unreadable or invalid means the defaults. The engine's
 * settings stay the source of truth: they replace these as soon as they arrive.
 */
export function rememberedSettings(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Settings | null {
  try {
    const text = storage?.getItem(KEY)
    if (!text) return null
    const parsed = SettingsSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** Keeps `settings` for the next start (nothing secret: theme, language, keys, queue defaults). */
export function rememberSettings(settings: Settings, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(KEY, JSON.stringify(settings))
  } catch {
    // Storage full or disabled: the next start paints the defaults until settings.get answers.
  }
}
