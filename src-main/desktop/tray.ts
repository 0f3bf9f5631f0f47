import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron'
import type { DesktopAction, TrayIconState, TrayMenuItem, TrayModel } from '../../src-shared/decisions/tray.ts'

export type Dispatch = (action: DesktopAction) => void

/** Turns the pure menu model into Electron's template; clicks dispatch the model's actions. */
export function trayMenuTemplate(items: readonly TrayMenuItem[], dispatch: Dispatch): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' }
    if (item.type === 'submenu') return { label: item.label, submenu: trayMenuTemplate(item.items, dispatch) }
    const action = item.action
    return { label: item.label, enabled: item.enabled, ...(action ? { click: () => dispatch(action) } : {}) }
  })
}

export interface TrayDeps {
  tray: Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'on'>
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu
  icons: Readonly<Record<TrayIconState, NativeImage>>
  dispatch: Dispatch
  platform: string
}

/**
 * Applies tray models: only what changed is set again, so a burst of events that leaves
 * the menu as it was costs nothing. On Linux the menu is always attached (there a click
 * may never reach us); on Windows and Linux a left click toggles the window.
 */
export class TrayController {
  private readonly deps: TrayDeps
  private shown: { icon: TrayIconState | null; tooltip: string | null; menu: string | null } = { icon: null, tooltip: null, menu: null }

  constructor(deps: TrayDeps) {
    this.deps = deps
    if (deps.platform !== 'darwin') deps.tray.on('click', () => deps.dispatch({ kind: 'toggle-window' }))
  }

  apply(model: TrayModel): void {
    const { tray } = this.deps
    if (model.icon !== this.shown.icon) tray.setImage(this.deps.icons[model.icon])
    if (model.tooltip !== this.shown.tooltip) tray.setToolTip(model.tooltip)
    const menu = JSON.stringify(model.menu)
    if (menu !== this.shown.menu) tray.setContextMenu(this.deps.buildMenu(trayMenuTemplate(model.menu, this.deps.dispatch)))
    this.shown = { icon: model.icon, tooltip: model.tooltip, menu }
  }
}
