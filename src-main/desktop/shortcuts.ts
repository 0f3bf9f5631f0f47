import type { GlobalShortcut } from 'electron'
import type { ShortcutProblem } from '../../src-shared/decisions/intents.ts'
import type { Language } from '../../src-shared/decisions/language.ts'
import { notUnderstoodProblem, planAllShortcuts, takenProblem, type ShortcutBinding, type TriggerShortcut } from '../../src-shared/decisions/shortcuts.ts'

export interface ShortcutDeps {
  globalShortcut: Pick<GlobalShortcut, 'register' | 'unregister'>
  platform: string
  /** The language problems are told in; a change re-tells them without registering again. */
  language: () => Language
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
  /** Bindings the system refused at the last registration, and the language problems were last told in. */
  private refused: Array<{ binding: ShortcutBinding; problem: 'taken' | 'invalid' }> = []
  private told: Language | null = null

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
    const language = this.deps.language()
    if (key === this.applied && language === this.told) return
    const plan = planAllShortcuts(this.overrides, this.triggers, this.deps.platform, language)
    if (key !== this.applied) {
      this.applied = key
      this.unregisterAll()
      this.refused = []
      for (const binding of plan.register) {
        let ok: boolean
        try {
          ok = this.deps.globalShortcut.register(binding.accelerator, () => this.deps.onShortcut(binding))
        } catch {
          // Electron throws for an accelerator it cannot parse; the syntax check should have caught it.
          this.refused.push({ binding, problem: 'invalid' })
          continue
        }
        if (ok) this.registered.push(binding)
        else this.refused.push({ binding, problem: 'taken' })
      }
    }
    this.told = language
    const refused = this.refused.map(({ binding, problem }) => (problem === 'taken' ? takenProblem(binding, this.triggers, language) : notUnderstoodProblem(binding, language)))
    this.deps.onStatus([...plan.problems, ...refused])
  }

  /** Called on will-quit: global shortcuts outlive the app otherwise on some systems. */
  unregisterAll(): void {
    for (const binding of this.registered) this.deps.globalShortcut.unregister(binding.accelerator)
    this.registered = []
  }
}
