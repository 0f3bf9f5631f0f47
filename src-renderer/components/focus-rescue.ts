/** What can take the keyboard, in document order. */
const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** The heading of the view on screen (components/common.tsx ViewHeading): where the keyboard goes when nothing nearer can take it. */
const VIEW_HEADING = '[data-view-heading]'

/**
 * Puts the keyboard on the view's heading, which a screen reader reads out (the view's name), and
 * from which Tab goes on into the view. The page does not scroll to it: a rescue in a view
 * scrolled down leaves the view where the user had it.
 */
export function focusViewHeading(document: Document): void {
  document.querySelector<HTMLElement>(VIEW_HEADING)?.focus({ preventScroll: true })
}

/**
 * Keeps the keyboard somewhere sensible when the focused element goes away because of what it did
 * (Cancel removes its own button once the task ends; Clear removes the bulk bar; × removes its
 * toast): instead of falling to <body>, where the next Tab starts again from the top, focus moves
 * to the nearest enclosing `[data-focus-scope]` still on the page, to the element its value
 * selects or else the first focusable one in it, and finally to the view's heading. Focus that the
 * user moved away (a click on empty space, another window) is left alone: only an element that
 * was removed, disabled or hidden is replaced, by one that does take the keyboard. Hand-written:
 * a document listener of a few lines.
 * Returns the disposer.
 */
export function rescueLostFocus(document: Document): () => void {
  let frame = 0
  const onFocusOut = (event: FocusEvent) => {
    const lost = event.target
    if (event.relatedTarget !== null || !(lost instanceof HTMLElement)) return
    // Chromium fires focusout while the element is still attached: remember where it was.
    const scopes: HTMLElement[] = []
    for (let scope = lost.closest<HTMLElement>('[data-focus-scope]'); scope; scope = scope.parentElement?.closest<HTMLElement>('[data-focus-scope]') ?? null) scopes.push(scope)
    // After the update that removed, disabled or hid it has been committed (a later loss supersedes this one).
    cancelAnimationFrame(frame)
    frame = requestAnimationFrame(() => {
      const active = document.activeElement
      if (active !== null && active !== document.body) return
      if (lost.isConnected && !lost.matches(':disabled') && lost.checkVisibility()) return
      for (const scope of scopes) {
        if (!scope.isConnected) continue
        const wanted = scope.dataset.focusScope
        const candidates = [...(wanted ? scope.querySelectorAll<HTMLElement>(wanted) : []), ...scope.querySelectorAll<HTMLElement>(FOCUSABLE)]
        // A hidden or inert one does not take the keyboard: only one that did ends the search.
        for (const candidate of candidates) {
          candidate.focus()
          if (document.activeElement === candidate) return
        }
      }
      focusViewHeading(document)
    })
  }
  document.addEventListener('focusout', onFocusOut)
  return () => {
    document.removeEventListener('focusout', onFocusOut)
    cancelAnimationFrame(frame)
  }
}
