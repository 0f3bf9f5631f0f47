/**
 * The tables' `{{count, number}}` format, with one Intl.NumberFormat per language.
 *
 * i18next's own `number` format caches its formatters by the language and every option of
 * the t() call, the interpolated values included, so each new count built a new
 * Intl.NumberFormat (and evicted an older one once 1,000 were kept). The "catching up"
 * indicator says a new count with every refresh of the views: building the formatter was the
 * largest part of rendering it while a 20,000-task history was read (docs/benchmarks.md,
 * UI "Session 15"). It takes no format options (i18next hands them over mixed with the
 * call's values): the tables write plain `number`, which a test of the tables holds them to.
 */
export function cachedNumberFormat(): (value: unknown, lng: string | undefined) => string {
  const formats = new Map<string, Intl.NumberFormat>()
  return (value, lng) => {
    const key = lng ?? ''
    let format = formats.get(key)
    if (!format) {
      format = new Intl.NumberFormat(lng)
      formats.set(key, format)
    }
    return format.format(value as number)
  }
}
