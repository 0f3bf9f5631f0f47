import i18next from 'i18next'
import { initReactI18next } from 'react-i18next'
import type { Settings } from '../../src-shared/index.ts'
import { en } from './en.ts'
import { ko } from './ko.ts'

export type Language = 'en' | 'ko'

/** The system language when the user has not chosen one: Korean for any ko-* locale. */
export function resolveLanguage(setting: Settings['language'], systemLanguages: readonly string[]): Language {
  if (setting !== 'system') return setting
  return systemLanguages.some((l) => l.toLowerCase().startsWith('ko')) ? 'ko' : 'en'
}

export function initI18n(language: Language): typeof i18next {
  void i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, ko: { translation: ko } },
    lng: language,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    returnNull: false,
  })
  return i18next
}
