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
  // One Intl.NumberFormat per language instead of one per count (see cachedNumberFormat).
  i18next.services.formatter?.add('number', cachedNumberFormat())
  return i18next
}
