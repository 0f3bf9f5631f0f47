/**
 * A period as `--every` and `--debounce` take it ("15m", "1h30m", "300ms"): its whole units, largest first, none of
 * them zero, so what the CLI and the UI show can be typed back.
 */
export function formatPeriod(ms: number): string {
  let rest = Math.round(ms)
  const parts: string[] = []
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const count = Math.floor(rest / size)
    rest -= count * size
    if (count > 0) parts.push(`${count}${unit}`)
  }
  return parts.join('') || '0s'
}
