import Anser from 'anser'
import { memo, type CSSProperties, type ReactNode } from 'react'

/**
 * ANSI colours as React spans (classes for the 16-colour palette so themes can tune them,
 * CSSOM colours for true colour). Text is never parsed as HTML.
 */
export const AnsiText = memo(function AnsiText({ text, highlight }: { text: string; highlight?: string }) {
  if (!text.includes('\u001b')) return <>{highlightText(text, highlight)}</>
  const parts = Anser.ansiToJson(text, { use_classes: true, remove_empty: true })
  return (
    <>
      {parts.map((part, i) => {
        const classes: string[] = []
        const style: CSSProperties = {}
        if (part.fg === 'ansi-truecolor') style.color = `rgb(${part.fg_truecolor})`
        else if (part.fg) classes.push(`fg-${part.fg}`)
        if (part.bg === 'ansi-truecolor') style.backgroundColor = `rgb(${part.bg_truecolor})`
        else if (part.bg) classes.push(`bg-${part.bg}`)
        for (const d of part.decorations) classes.push(`ansi-${d}`)
        return (
          <span key={i} className={classes.join(' ') || undefined} style={style}>
            {highlightText(part.content, highlight)}
          </span>
        )
      })}
    </>
  )
})

function highlightText(text: string, needle: string | undefined): ReactNode {
  if (!needle) return text
  const lower = text.toLowerCase()
  const n = needle.toLowerCase()
  const out: ReactNode[] = []
  let from = 0
  for (let at = lower.indexOf(n); at >= 0; at = lower.indexOf(n, from)) {
    if (at > from) out.push(text.slice(from, at))
    out.push(
      <mark key={at} className="match">
        {text.slice(at, at + n.length)}
      </mark>,
    )
    from = at + n.length
  }
  if (out.length === 0) return text
  out.push(text.slice(from))
  return out
}
