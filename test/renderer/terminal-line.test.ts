import Anser from 'anser'
import { describe, expect, it } from 'vitest'
import { TerminalLineState, terminalLine, terminalText } from '../../src-shared/terminal-line.ts'

const ESC = '\u001b'
const red = (text: string) => `${ESC}[31m${text}${ESC}[0m`

/** The colour runs anser draws for a shown line: [text, foreground, decorations]. */
const runs = (shown: string) =>
  Anser.ansiToJson(shown, { use_classes: true, remove_empty: true }).map((part) => [part.content, part.fg ?? null, part.decorations.join(',')] as const)

describe('terminalText: what a terminal shows of one line', () => {
  it('leaves a line with no control characters as it is (tabs too)', () => {
    expect(terminalText('plain text\twith a tab')).toBe('plain text\twith a tab')
    expect(terminalLine('plain text')).toBe('plain text')
  })

  it('overwrites from column 0 after a carriage return', () => {
    expect(terminalText('dl 10%\rdl 50%\rdl 100%')).toBe('dl 100%')
  })

  it('keeps the end of a longer text under a shorter rewrite, as a terminal does', () => {
    expect(terminalText('downloading 100%\rdone')).toBe('doneloading 100%')
  })

  it('erases to the end of the line with ESC[K and ESC[0K, and the whole line with ESC[2K', () => {
    expect(terminalText(`downloading 100%\rdone${ESC}[K`)).toBe('done')
    expect(terminalText(`downloading 100%\r${ESC}[0Kdone`)).toBe('done')
    expect(terminalText(`downloading 100%${ESC}[2K\rdone`)).toBe('done')
    // The cursor stays where it was: text after ESC[2K without a return starts at that column.
    expect(terminalText(`abc${ESC}[2Kd`)).toBe('   d')
    expect(terminalText(`abcdef\r${ESC}[3C${ESC}[1K`)).toBe('    ef')
  })

  it('treats a carriage return before the end of the line as a plain line end', () => {
    expect(terminalText('windows line\r')).toBe('windows line')
    expect(terminalText('a\tb\r')).toBe('a\tb')
  })

  it('moves back with backspace, and to a column with CHA, CUF and CUB', () => {
    expect(terminalText('spin |\b/\b-')).toBe('spin -')
    expect(terminalText(`12345${ESC}[2GX`)).toBe('1X345')
    expect(terminalText(`12345${ESC}[GY`)).toBe('Y2345')
    expect(terminalText(`ab${ESC}[3Cc`)).toBe('ab   c')
    expect(terminalText(`abcde${ESC}[2Dx`)).toBe('abcxe')
  })

  it('drops what does not belong to one line: cursor up, modes, window titles, links', () => {
    expect(terminalText(`${ESC}[?25lworking${ESC}[1A${ESC}[?25h`)).toBe('working')
    expect(terminalText(`${ESC}]0;title\u0007see ${ESC}]8;;https://example.com${ESC}\\docs${ESC}]8;;${ESC}\\`)).toBe('see docs')
    expect(terminalText('bell\u0007')).toBe('bell')
  })

  it('counts East Asian wide characters as two columns', () => {
    // "다운로드" is eight columns; "ab" covers the first syllable only.
    expect(terminalText('다운로드\rab')).toBe('ab운로드')
    // A narrow character over half of a wide one blanks the other half, as a terminal does.
    expect(terminalText('다운\ra')).toBe('a 운')
    expect(terminalText('abcd\r가')).toBe('가cd')
    expect(terminalText('abcd\ra가')).toBe('a가d')
  })

  it('keeps combining marks with their character', () => {
    expect(terminalText('cafe\u0301 x\rb')).toBe('bafe\u0301 x')
  })

  it('ignores an escape sequence cut short at the end (the rest of it is still to come)', () => {
    expect(terminalText(`50%${ESC}[`)).toBe('50%')
    expect(terminalText(`50%${ESC}`)).toBe('50%')
  })

  it('takes the colour codes out of a plain coloured line', () => {
    expect(terminalText(`${red('error')}: bad`)).toBe('error: bad')
  })
})

describe('terminalLine: the shown line keeps the colours of the text that survives', () => {
  it('leaves a coloured line with no cursor movement as written', () => {
    const line = `${ESC}[1;32mok${ESC}[0m all good`
    expect(terminalLine(line)).toBe(line)
  })

  it('colours each surviving cell as it was written', () => {
    const shown = terminalLine(`${ESC}[32mdownloading 100%${ESC}[0m\r${ESC}[1;31mfail${ESC}[0m`)
    expect(runs(shown)).toEqual([
      ['fail', 'ansi-red', 'bold'],
      ['loading 100%', 'ansi-green', ''],
    ])
  })

  it('an erased line leaves no colour behind', () => {
    const shown = terminalLine(`${ESC}[41mred background${ESC}[2K\r${ESC}[0mplain`)
    expect(shown).toBe('plain')
  })

  it('keeps 256-colour and true-colour codes, and a colour set by several codes as one state', () => {
    expect(runs(terminalLine(`x\r${ESC}[38;5;196mA${ESC}[38;2;1;2;3mB${ESC}[0m`))).toEqual([
      ['A', 'ansi-palette-196', ''],
      ['B', 'ansi-truecolor', ''],
    ])
    // Bold set, then unset by 22: the text after is plain again.
    expect(runs(terminalLine(`x\r${ESC}[1mA${ESC}[22mB`))).toEqual([
      ['A', null, 'bold'],
      ['B', null, ''],
    ])
  })

  it('progress in colour: the last state, its colours intact', () => {
    const raw = `${ESC}[36m[#---]${ESC}[0m 25%\r${ESC}[36m[##--]${ESC}[0m 50%\r${ESC}[36m[####]${ESC}[0m 100%`
    expect(terminalText(raw)).toBe('[####] 100%')
    expect(runs(terminalLine(raw))).toEqual([
      ['[####]', 'ansi-cyan', ''],
      [' 100%', null, ''],
    ])
  })

  it('the line grown chunk by chunk shows the same as written at once', () => {
    const chunks = ['dl ', '10%', '\rdl 5', `0%${ESC}`, '[K\rdl 100%']
    let raw = ''
    const seen = chunks.map((chunk) => terminalText((raw += chunk)))
    expect(seen).toEqual(['dl ', 'dl 10%', 'dl 50%', 'dl 50%', 'dl 100%'])
  })
})

describe('TerminalLineState: a line fed chunk by chunk', () => {
  // Pieces that exercise every kind of state: the cursor, the pen, a saved cursor, a joiner,
  // wide and surrogate-pair characters, and escape sequences of every shape (cut anywhere).
  const PIECES = ['a', 'bc', ' ', '\r', '\b', '\t', '한', '😀', '\u0301', '\u200d', `${ESC}[31m`, `${ESC}[1;4m`, `${ESC}[0m`, `${ESC}[K`, `${ESC}[2K`, `${ESC}[1K`, `${ESC}[3G`, `${ESC}[2C`, `${ESC}[D`, `${ESC}[2X`, `${ESC}7`, `${ESC}8`, `${ESC}]0;title\u0007`, `${ESC}]2;t${ESC}\\`, `${ESC}[?25l`, `${ESC}(B`, '%']
  /** A small deterministic generator (mulberry32), so a failure names its seed. */
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  it('shows what the whole line shows, however the line is cut into chunks (1,000 random lines)', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const next = random(seed)
      let raw = ''
      for (let n = Math.floor(next() * 40); n > 0; n--) raw += PIECES[Math.floor(next() * PIECES.length)]
      const state = new TerminalLineState()
      for (let at = 0; at < raw.length; ) {
        const length = 1 + Math.floor(next() * 6)
        state.write(raw.slice(at, at + length))
        at += length
      }
      const whole = new TerminalLineState().write(raw)
      expect(state.shown(true), `seed ${seed}: ${JSON.stringify(raw)}`).toBe(whole.shown(true))
      expect(state.shown(false), `seed ${seed}`).toBe(whole.shown(false))
      // terminalLine is the same state (a line with nothing for a terminal to do is shown as written).
      if (raw.includes('\r') || raw.includes('\b')) expect(whole.shown(true), `seed ${seed}`).toBe(terminalLine(raw))
    }
  })

  it('waits for the rest of an escape sequence or a surrogate pair cut at a chunk’s end', () => {
    const state = new TerminalLineState().write(`50%\r${ESC}[`)
    expect(state.shown(false)).toBe('50%')
    state.write('K100%')
    expect(state.shown(false)).toBe('100%')
    state.write('\r\ud83d')
    expect(state.shown(false)).toBe('100%')
    state.write('\ude00')
    expect(state.shown(false)).toBe('😀0%')
  })
})
