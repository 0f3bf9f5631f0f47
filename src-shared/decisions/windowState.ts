import { z } from 'zod'

/**
 * The window reopens where it was, unless that place no longer exists (a monitor was
 * unplugged, the resolution changed): then it is pulled back onto a display.
 */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

const finite = z.number().int().min(-100_000).max(100_000)
/** As stored in windowState.json; read back as untrusted input. */
export const WindowStateSchema = z.object({
  bounds: z.object({ x: finite, y: finite, width: finite.min(1), height: finite.min(1) }),
  maximized: z.boolean().default(false),
  fullScreen: z.boolean().default(false),
})
export type WindowState = z.infer<typeof WindowStateSchema>

export const MIN_WINDOW = { width: 640, height: 420 } as const
export const DEFAULT_WINDOW = { width: 1200, height: 800 } as const
/** How much of the window must lie on a display for it to count as reachable (its title bar can be grabbed). */
const MIN_VISIBLE = { width: 120, height: 48 } as const

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  }
}

function centred(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.min(size.width, area.width)
  const height = Math.min(size.height, area.height)
  return { x: area.x + Math.round((area.width - width) / 2), y: area.y + Math.round((area.height - height) / 2), width, height }
}

/**
 * Where to open the window: the saved bounds when their top edge is reachable on some
 * display's work area, shrunk to fit it; otherwise centred on the primary display.
 * `workAreas[0]` is the primary display.
 */
export function placeWindow(saved: WindowState | null, workAreas: readonly Rect[]): WindowState {
  const [primary] = workAreas
  if (primary === undefined) return { bounds: { x: 0, y: 0, ...DEFAULT_WINDOW }, maximized: false, fullScreen: false }
  if (saved === null) return { bounds: centred(DEFAULT_WINDOW, primary), maximized: false, fullScreen: false }
  const size = { width: Math.max(saved.bounds.width, MIN_WINDOW.width), height: Math.max(saved.bounds.height, MIN_WINDOW.height) }
  const titleBar: Rect = { ...saved.bounds, height: Math.min(saved.bounds.height, MIN_VISIBLE.height) }
  const home = workAreas.find((area) => {
    const o = overlap(titleBar, area)
    return o.width >= Math.min(MIN_VISIBLE.width, titleBar.width) && o.height >= Math.min(MIN_VISIBLE.height, titleBar.height)
  })
  if (home === undefined) return { bounds: centred(size, primary), maximized: saved.maximized, fullScreen: false }
  const width = Math.min(size.width, home.width)
  const height = Math.min(size.height, home.height)
  const x = Math.min(Math.max(saved.bounds.x, home.x), home.x + home.width - width)
  const y = Math.min(Math.max(saved.bounds.y, home.y), home.y + home.height - height)
  return { bounds: { x, y, width, height }, maximized: saved.maximized, fullScreen: saved.fullScreen }
}

/** Reads stored JSON text; anything unreadable means "no saved state", never a crash. */
export function parseWindowState(text: string | null): WindowState | null {
  if (text === null) return null
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}
