import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { App } from 'electron'
import { AUTOSTART_FILE_NAME, type LoginItemPlan } from '../../src-shared/decisions/autostart.ts'
import { parseWindowState, type WindowState } from '../../src-shared/decisions/windowState.ts'
import { writeFileAtomicSync } from '../engine/atomic-file.ts'

/** Small files the desktop shell keeps: where the window was, and the Linux autostart entry. */

export const WINDOW_STATE_FILE = 'window-state.json'

export function readWindowState(home: string): WindowState | null {
  let text: string | null = null
  try {
    text = readFileSync(join(home, WINDOW_STATE_FILE), 'utf8')
  } catch {
    // No file yet (first start) reads as "no saved state".
  }
  return parseWindowState(text)
}

export function writeWindowState(home: string, state: WindowState): void {
  writeFileAtomicSync(join(home, WINDOW_STATE_FILE), `${JSON.stringify(state)}\n`, { mode: 0o600 })
}

/** ~/.config/autostart, honouring XDG_CONFIG_HOME. */
export function xdgAutostartDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  return join(env.XDG_CONFIG_HOME || join(homeDir, '.config'), 'autostart')
}

export function applyLoginItemPlan(plan: LoginItemPlan, deps: { app: Pick<App, 'setLoginItemSettings'>; autostartDir: string }): void {
  switch (plan.kind) {
    case 'login-item':
      deps.app.setLoginItemSettings({ openAtLogin: plan.openAtLogin, args: plan.args })
      return
    case 'xdg-autostart': {
      const file = join(deps.autostartDir, AUTOSTART_FILE_NAME)
      if (plan.content === null) {
        rmSync(file, { force: true })
        return
      }
      mkdirSync(dirname(file), { recursive: true })
      writeFileAtomicSync(file, plan.content, { mode: 0o644 })
      return
    }
    case 'unsupported':
      return
  }
}
