import { createContext, useCallback, useContext, useEffect, useMemo, useRef } from 'react'
import { distinctUntilChanged, map } from 'rxjs'
import type { AppModel, Store } from '../model.ts'
import { useObservableState } from '../hooks/observable.ts'
import { DEFAULT_KEYMAP, applyOverrides, displayBinding, type CommandId, type KeymapEntry } from '../streams/keymap.ts'

export const ModelContext = createContext<AppModel | null>(null)

export function useModel(): AppModel {
  const model = useContext(ModelContext)
  if (!model) throw new Error('useModel outside <ModelContext>')
  return model
}

/**
 * model.send for a view that shows a failure in place (a form's messages, the Triggers view's alert): while the view
 * is shown, its failures make no toast, so each is said in one place and read once; once it is gone (the user moved on
 * before the answer came), a failure is a toast as any other (streams/toasts.ts). Never swallowed either way.
 */
export function useSendShownInPlace(): AppModel['send'] {
  const model = useModel()
  const shown = useRef(false)
  useEffect(() => {
    shown.current = true
    return () => {
      shown.current = false
    }
  }, [])
  return useCallback((intent) => model.send({ ...intent, shownInPlace: () => shown.current }), [model])
}

/** A model store's current value; re-renders when it changes. */
export function useStore<T>(store: Store<T>): T {
  return useObservableState(store.value$, store.value)
}

/**
 * One part of a model store's value; re-renders only when that part changes (by identity), not
 * on every state handed to the views (many per second while events stream in).
 */
export function useStoreSelect<T, R>(store: Store<T>, select: (value: T) => R): R {
  const selected$ = useMemo(() => store.value$.pipe(map(select), distinctUntilChanged()), [store])
  return useObservableState(selected$, select(store.value))
}

export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)

/**
 * The keymap, the same array for as long as the bindings are the same. Settings arrive as new
 * objects (the first settings.get, any other setting's change); a new keymap array would
 * restart the key stream and drop a chord half typed ("g" pressed, "s" still to come).
 */
export function useKeymap(): KeymapEntry[] {
  const overrides = useStore(useModel().settings).keymap
  const bindingsKey = JSON.stringify(overrides)
  // Keyed by content, not by object identity.
  return useMemo(() => applyOverrides(DEFAULT_KEYMAP, overrides), [bindingsKey])
}

/** The first binding of a command as people read it ("Ctrl+K"), or "" when unbound. */
export function useShortcut(command: CommandId): string {
  const keymap = useKeymap()
  const entry = keymap.find((e) => e.command === command)
  return entry ? displayBinding(entry.binding, IS_MAC) : ''
}
