import type { Settings } from '../settings.ts'

/** The languages Taskdeck speaks: the window, the tray, menus, notifications and dialogs. */
export const LANGUAGES = ['en', 'ko'] as const
export type Language = (typeof LANGUAGES)[number]

/**
 * The language to speak: the user's choice, or with `system` the first of the system's
 * languages (most preferred first: BCP 47 tags such as "ko-KR") that Taskdeck speaks;
 * English when it speaks none of them.
 */
export function resolveLanguage(setting: Settings['language'], systemLanguages: readonly string[]): Language {
  if (setting !== 'system') return setting
  for (const tag of systemLanguages) {
    const primary = tag.toLowerCase().split(/[-_]/)[0]
    const spoken = LANGUAGES.find((l) => l === primary)
    if (spoken) return spoken
  }
  return 'en'
}
