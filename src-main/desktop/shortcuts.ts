import type { GlobalShortcut } from 'electron'
import type { ShortcutProblem } from '../../src-shared/decisions/intents.ts'
import { planShortcuts, takenProblem, type ShortcutBinding } from '../../src-shared/decisions/shortcuts.ts'

export interface ShortcutDeps {
  globalShortcut: Pick<GlobalShortcut, 'register' | 'unregister'>
  platform: string
  onShortcut: (id: string) => void
  onStatus: (problems: ShortcutProblem[]) => void
}

/**
 * Registers the global shortcuts the plan asks for and reports every one that did not
 * take, never silently. Applying new settings first releases what we held.
 */
export class ShortcutController {
  private readonly deps: ShortcutDeps
  private registered: ShortcutBinding[] = []
  private lastOverrides: string | null = null

  constructor(deps: ShortcutDeps) {
    this.deps = deps
  }

  apply(overrides: Readonly<Record<string, string>>): void {
    const key = JSON.stringify(overrides)
    if (key === this.lastOverrides) return
    this.lastOverrides = key
    this.unregisterAll()
    const plan = planShortcuts(overrides, this.deps.platform)
    const problems = [...plan.problems]
    for (const binding of plan.register) {
      let ok: boolean
      try {
        ok = this.deps.globalShortcut.register(binding.accelerator, () => this.deps.onShortcut(binding.id))
      } catch {
        // Electron throws for an accelerator it cannot parse; the syntax check should have caught it.
        problems.push({ ...binding, problem: 'invalid', message: `${binding.accelerator} is not an accelerator this system understands.` })
        continue
      }
      if (ok) this.registered.push(binding)
      else problems.push(takenProblem(binding))
    }
    this.deps.onStatus(problems)
  }

  /** Called on will-quit: global shortcuts outlive the app otherwise on some systems. */
  unregisterAll(): void {
    for (const binding of this.registered) this.deps.globalShortcut.unregister(binding.accelerator)
    this.registered = []
  }
}
