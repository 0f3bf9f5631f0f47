import i18next from 'i18next'
import { initReactI18next } from 'react-i18next'
import type { Language } from '../../src-shared/decisions/language.ts'
import { en } from './en.ts'
import { ko } from './ko.ts'
import { cachedNumberFormat } from './number-format.ts'

// One rule for the window and the desktop surfaces (tray, menus, notifications).
export { resolveLanguage, type Language } from '../../src-shared/decisions/language.ts'

export function initI18n(language: Language): typeof i18next {
  void i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, ko: { translation: ko } },
    lng: language,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    returnNull: false,
  })
  // One Intl.NumberFormat per language instead of one per count (see cachedNumberFormat), the page's built now: the
  // first one a page builds loads the locale data (20–50 ms here), which would otherwise land in the frame that first
  // says a count, the "catching up" indicator's while a history streams in.
  const numbers = cachedNumberFormat()
  numbers(0, language)
  i18next.services.formatter?.add('number', numbers)
  return i18next
}
