import type { MenuItemConstructorOptions } from 'electron'
import type { AppMenuCommand, AppMenuItem, AppMenuSection } from '../../src-shared/decisions/appMenu.ts'

/** Electron's template for the pure application-menu model; commands go to `run`. */
export function appMenuTemplate(sections: readonly AppMenuSection[], run: (command: AppMenuCommand) => void): MenuItemConstructorOptions[] {
  const item = (entry: AppMenuItem): MenuItemConstructorOptions => {
    if (entry.type === 'separator') return { type: 'separator' }
    if (entry.type === 'role') return { role: entry.role, label: entry.label }
    return {
      label: entry.label,
      click: () => run(entry.command),
      ...(entry.accelerator ? { accelerator: entry.accelerator } : {}),
      ...(entry.registerAccelerator === false ? { registerAccelerator: false } : {}),
    }
  }
  return sections.map((section) => ({ label: section.label, ...(section.role ? { role: section.role } : {}), submenu: section.items.map(item) }))
}
