import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import type { Observable } from 'rxjs'

/**
 * The only places components meet RxJS. Written here (about thirty lines) rather than
 * taken from observable-hooks because useSyncExternalStore is React 19's own primitive
 * for outside stores and gives tearing-free reads without another dependency.
 */

/** The latest value of `source$` (which should be hot or replaying), `initial` until it emits. */
export function useObservableState<T>(source$: Observable<T>, initial: T): T {
  const store = useMemo(() => {
    let value = initial
    return {
      subscribe: (onChange: () => void) => {
        const subscription = source$.subscribe((next) => {
          value = next
          onChange()
        })
        return () => subscription.unsubscribe()
      },
      get: () => value,
    }
    // `initial` only matters before the first emission of this source.
  }, [source$])
  return useSyncExternalStore(store.subscribe, store.get)
}

/** Runs `next` for each value while mounted; the latest closure is used, the subscription is kept. */
export function useSubscription<T>(source$: Observable<T>, next: (value: T) => void): void {
  const latest = useRef(next)
  latest.current = next
  useEffect(() => {
    const subscription = source$.subscribe((value) => latest.current(value))
    return () => subscription.unsubscribe()
  }, [source$])
}
