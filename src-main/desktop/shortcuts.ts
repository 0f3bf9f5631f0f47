import type { GlobalShortcut } from 'electron'
import type { ShortcutProblem } from '../../src-shared/decisions/intents.ts'
import { planAllShortcuts, takenProblem, type ShortcutBinding, type TriggerShortcut } from '../../src-shared/decisions/shortcuts.ts'

export interface ShortcutDeps {
  globalShortcut: Pick<GlobalShortcut, 'register' | 'unregister'>
  platform: string
  /** A registered shortcut was pressed: an app shortcut id, or `trigger-N` for a shortcut trigger. */
  onShortcut: (binding: ShortcutBinding) => void
  onStatus: (problems: ShortcutProblem[]) => void
}

/**
 * Registers the global shortcuts the plan asks for (the app's, then shortcut triggers')
 * and reports every one that did not take, never silently. A change to either set first
 * releases what we held.
 */
export class ShortcutController {
  private readonly deps: ShortcutDeps
  private registered: ShortcutBinding[] = []
  private overrides: Readonly<Record<string, string>> = {}
  private triggers: readonly TriggerShortcut[] = []
  private applied: string | null = null

  constructor(deps: ShortcutDeps) {
    this.deps = deps
  }

  /** The user's overrides (settings.globalShortcuts). */
  apply(overrides: Readonly<Record<string, string>>): void {
    this.overrides = overrides
    this.update()
  }

  /** The current shortcut triggers. */
  applyTriggers(triggers: readonly TriggerShortcut[]): void {
    this.triggers = triggers
    this.update()
  }

  private update(): void {
    const key = JSON.stringify([this.overrides, this.triggers])
    if (key === this.applied) return
    this.applied = key
    this.unregisterAll()
    const plan = planAllShortcuts(this.overrides, this.triggers, this.deps.platform)
    const problems = [...plan.problems]
    for (const binding of plan.register) {
      let ok: boolean
      try {
        ok = this.deps.globalShortcut.register(binding.accelerator, () => this.deps.onShortcut(binding))
      } catch {
        // Electron throws for an accelerator it cannot parse; the syntax check should have caught it.
        problems.push({ ...binding, problem: 'invalid', message: `${binding.accelerator} is not an accelerator this system understands.` })
        continue
      }
      if (ok) this.registered.push(binding)
      else problems.push(takenProblem(binding, this.triggers))
    }
    this.deps.onStatus(problems)
  }

  /** Called on will-quit: global shortcuts outlive the app otherwise on some systems. */
  unregisterAll(): void {
    for (const binding of this.registered) this.deps.globalShortcut.unregister(binding.accelerator)
    this.registered = []
  }
}
