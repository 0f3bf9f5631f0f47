import { useLayoutEffect, useMemo, useState, type RefObject } from 'react'

/** One canvas for every measurement: measureText lays out nothing on the page. */
let measuringContext: CanvasRenderingContext2D | null = null

/** How wide `text` is drawn in `element`'s font, in CSS pixels. */
function textWidth(text: string, element: Element): number {
  measuringContext ??= document.createElement('canvas').getContext('2d')
  if (!measuringContext) return 0
  const style = getComputedStyle(element)
  measuringContext.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`
  return measuringContext.measureText(text).width
}

/**
 * The first of `texts` (best first, shorter after) that fits, with an em to spare, in the text box of
 * the field `ref` points at, at its current width and in its font; the last one when none fits. For
 * a placeholder, which the browser cuts off without an ellipsis: a narrow window or a longer
 * language gets a shorter wording instead of a cut one. Re-chosen when the field is resized.
 */
export function useFittingText(ref: RefObject<HTMLElement | null>, texts: readonly string[]): string {
  const [boxWidth, setBoxWidth] = useState<number | null>(null)
  useLayoutEffect(() => {
    const element = ref.current
    if (!element) return
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setBoxWidth(entry.contentRect.width)
    })
    observer.observe(element)
    return () => observer.disconnect()
  }, [ref])
  return useMemo(() => {
    const element = ref.current
    if (boxWidth === null || !element) return texts[0] ?? ''
    // With an em to spare: a wording that ends at the field's very edge reads as cut off.
    const spare = parseFloat(getComputedStyle(element).fontSize) || 0
    return texts.find((text) => textWidth(text, element) + spare <= boxWidth) ?? texts.at(-1) ?? ''
  }, [ref, boxWidth, texts])
}
