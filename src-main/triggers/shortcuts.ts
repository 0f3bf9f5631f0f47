import { normalizeAccelerator } from '../../src-shared/index.ts'
import type { TriggerRecord } from './store.ts'

/** A global shortcut the desktop adapter should register: pressing `accelerator` fires `triggerId`. */
export interface ShortcutBinding {
  accelerator: string
  triggerId: number
  savedTaskId: number
  name: string
}

/** The bindings of every shortcut trigger that is not paused, in trigger order. */
export function shortcutBindingsOf(records: Iterable<TriggerRecord>): ShortcutBinding[] {
  const bindings: ShortcutBinding[] = []
  for (const record of records) {
    if (record.spec.kind !== 'shortcut' || record.paused) continue
    bindings.push({ accelerator: record.spec.accelerator, triggerId: record.id, savedTaskId: record.savedTaskId, name: record.name })
  }
  return bindings
}

/** Which binding a pressed accelerator means, whatever its spelling ("ctrl+k" is "Control+K"). */
export function resolveShortcut(bindings: readonly ShortcutBinding[], accelerator: string): ShortcutBinding | null {
  const pressed = normalizeAccelerator(accelerator)
  return pressed === null ? null : (bindings.find((b) => b.accelerator === pressed) ?? null)
}

/** Another trigger already bound to the same chord (paused ones count: resuming must not clash). */
export function shortcutClash(records: Iterable<TriggerRecord>, accelerator: string, exceptTriggerId: number | null): TriggerRecord | null {
  for (const record of records) {
    if (record.id !== exceptTriggerId && record.spec.kind === 'shortcut' && record.spec.accelerator === accelerator) return record
  }
  return null
}
