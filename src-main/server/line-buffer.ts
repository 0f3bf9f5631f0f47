/**
 * Splits text arriving in chunks into lines (JSON lines on the local socket, both ends), in
 * time linear in its length: appending each chunk to one string and searching that string
 * from its start makes a line of megabytes (a batch of 10,000 tasks, or its answer) cost
 * time quadratic in its chunks. Node's readline would split lines too, but it cannot refuse
 * a line for its length before holding all of it.
 */
export class LineBuffer {
  /** The unfinished line's parts, none holding a newline. */
  private parts: string[] = []
  private partsLength = 0

  /** The lines `chunk` finishes, without their newlines. */
  push(chunk: string): string[] {
    const lines: string[] = []
    let start = 0
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      const end = chunk.slice(start, newline)
      lines.push(this.parts.length === 0 ? end : this.parts.join('') + end)
      this.clear()
      start = newline + 1
    }
    if (start < chunk.length) {
      this.parts.push(start === 0 ? chunk : chunk.slice(start))
      this.partsLength += chunk.length - start
    }
    return lines
  }

  /** Characters of the unfinished line so far. */
  get pendingLength(): number {
    return this.partsLength
  }

  /** The start of the unfinished line, up to `count` characters. */
  pendingStart(count: number): string {
    let start = ''
    for (const part of this.parts) {
      if (start.length >= count) break
      start += part.slice(0, count - start.length)
    }
    return start
  }

  /** Drops the unfinished line. */
  clear(): void {
    this.parts = []
    this.partsLength = 0
  }
}
