import { createContext, useContext, useMemo } from 'react'
import type { AppModel, Store } from '../model.ts'
import { useObservableState } from '../hooks/observable.ts'
import { DEFAULT_KEYMAP, applyOverrides, displayBinding, type CommandId, type KeymapEntry } from '../streams/keymap.ts'

export const ModelContext = createContext<AppModel | null>(null)

export function useModel(): AppModel {
  const model = useContext(ModelContext)
  if (!model) throw new Error('useModel outside <ModelContext>')
  return model
}

/** A model store's current value; re-renders when it changes. */
export function useStore<T>(store: Store<T>): T {
  return useObservableState(store.value$, store.value)
}

export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)

export function useKeymap(): KeymapEntry[] {
  const settings = useStore(useModel().settings)
  return useMemo(() => applyOverrides(DEFAULT_KEYMAP, settings.keymap), [settings.keymap])
}

/** The first binding of a command as people read it ("Ctrl+K"), or "" when unbound. */
export function useShortcut(command: CommandId): string {
  const keymap = useKeymap()
  const entry = keymap.find((e) => e.command === command)
  return entry ? displayBinding(entry.binding, IS_MAC) : ''
}
