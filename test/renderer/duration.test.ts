import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatDuration } from '../../src-renderer/components/common.tsx'
import { formatDuration as desktopDuration } from '../../src-shared/decisions/strings.ts'

const SAMPLES = [0, 644, 999, 1_000, 5_000, 59_400, 60_000, 300_000, 3_599_000, 3_600_000, 7_500_000]

describe('one duration format in the UI', () => {
  it('is the desktop’s (notifications, end reasons) in both languages: never "5m 0s" beside "5 min 0 s", nor "5.0 s"', () => {
    for (const language of ['en', 'ko'] as const) expect(SAMPLES.map((ms) => formatDuration(ms, language))).toEqual(SAMPLES.map((ms) => desktopDuration(ms, language)))
    expect([5_000, 300_000, 7_500_000].map((ms) => formatDuration(ms, 'en'))).toEqual(['5 s', '5 min 0 s', '2 h 5 min'])
    expect([5_000, 300_000, 7_500_000].map((ms) => formatDuration(ms, 'ko'))).toEqual(['5초', '5분 0초', '2시간 5분'])
  })

  it('says "—" for no duration and never a negative one (a clock a little behind a run’s start)', () => {
    expect([null, undefined, Number.NaN].map((ms) => formatDuration(ms, 'en'))).toEqual(['—', '—', '—'])
    expect(formatDuration(-20, 'en')).toBe('0 ms')
  })

  it('has no second formatter in the renderer (templates ending a number in "s" or "m")', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []))
    const second = files('src-renderer').filter((file) => /\}(m|h|s| s| ms)\b[ `]|toFixed\(\d\)\} s\b/.test(readFileSync(file, 'utf8')))
    expect(second).toEqual([])
  })
})
