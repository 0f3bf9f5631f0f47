import { useLayoutEffect, useRef, useState, type RefObject } from 'react'
import { flushSync } from 'react-dom'

/**
 * What a virtualised list's scroller shows, as `measure` reads it from the element: measured
 * once laid out and on every resize (ResizeObserver, so reading the size forces no extra
 * layout), and on every scroll, when the new rows are drawn in the same frame as the scroll
 * (flushSync), never blank. `measure` returns `previous` itself when nothing that matters
 * changed, so the view re-renders only when its window moves. Listens while `mounted`.
 */
export function useScrollWindow<T>(ref: RefObject<HTMLElement | null>, mounted: boolean, initial: T, measure: (element: HTMLElement, previous: T) => T): T {
  const [shown, setShown] = useState(initial)
  const measureRef = useRef(measure)
  useLayoutEffect(() => {
    measureRef.current = measure
  })
  useLayoutEffect(() => {
    const element = ref.current
    if (!mounted || !element) return
    const update = () => setShown((previous) => measureRef.current(element, previous))
    const onScroll = () => flushSync(update)
    element.addEventListener('scroll', onScroll, { passive: true })
    const resizes = new ResizeObserver(update)
    resizes.observe(element)
    return () => {
      element.removeEventListener('scroll', onScroll)
      resizes.disconnect()
    }
  }, [ref, mounted])
  return shown
}
