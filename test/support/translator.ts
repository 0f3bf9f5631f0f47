import i18next from 'i18next'
import { expect } from 'vitest'
import { en } from '../../src-renderer/i18n/en.ts'
import { ko } from '../../src-renderer/i18n/ko.ts'
import type { Translate } from '../../src-renderer/streams/engine-sentences.ts'

/** The UI's strings in `lng`, refusing a key that language lacks: a missing key would come back as the key itself (or English, through the fallback). */
export async function translator(lng: 'en' | 'ko'): Promise<Translate> {
  const i18n = i18next.createInstance()
  await i18n.init({ resources: { en: { translation: en }, ko: { translation: ko } }, lng, fallbackLng: 'en', interpolation: { escapeValue: false } })
  return (key, values) => {
    // With its values, so a plural key (`count`) is looked up as the form it needs.
    expect(i18n.exists(key, { ...values, lng, fallbackLng: false }), `${lng} has ${key}`).toBe(true)
    return i18n.t(key, values ?? {})
  }
}
