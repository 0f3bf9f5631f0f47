import { describe, expect, it } from 'vitest'
import { LineBuffer } from '../../src-main/server/line-buffer.ts'

describe('LineBuffer (JSON lines on the local socket)', () => {
  it('gives each line once it is whole, however the chunks cut it', () => {
    const buffer = new LineBuffer()
    expect(buffer.push('{"a":')).toEqual([])
    expect(buffer.push('1}')).toEqual([])
    expect(buffer.push('\n{"b":2}\n{"c"')).toEqual(['{"a":1}', '{"b":2}'])
    expect(buffer.pendingLength).toBe(4)
    expect(buffer.push(':3}\n')).toEqual(['{"c":3}'])
    expect(buffer.pendingLength).toBe(0)
    expect(buffer.push('\n\n')).toEqual(['', ''])
  })

  it('joins a line of many chunks in order, and says how long and how it starts while unfinished', () => {
    const buffer = new LineBuffer()
    const parts = Array.from({ length: 1000 }, (_, i) => `${i},`)
    for (const part of parts) expect(buffer.push(part)).toEqual([])
    expect(buffer.pendingLength).toBe(parts.join('').length)
    expect(buffer.pendingStart(7)).toBe('0,1,2,3')
    expect(buffer.pendingStart(100_000)).toBe(parts.join(''))
    expect(buffer.push('end\nnext')).toEqual([`${parts.join('')}end`])
    expect(buffer.pendingStart(100)).toBe('next')
  })

  it('drops the unfinished line on clear', () => {
    const buffer = new LineBuffer()
    buffer.push('half a li')
    buffer.clear()
    expect(buffer.pendingLength).toBe(0)
    expect(buffer.push('ne\n')).toEqual(['ne'])
  })
})
