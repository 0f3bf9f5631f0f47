import { z } from 'zod'
import { GroupNameSchema, LIMITS } from './model.ts'

/** A key chord as written in the keymap: "mod+k", "g t", "shift+?" ("mod" is Ctrl, or Cmd on macOS). */
export const KeyBindingSchema = z.string().min(1).max(64)
/** An Electron accelerator for a global shortcut: "CommandOrControl+Shift+Space". */
export const AcceleratorSchema = z.string().min(1).max(64)

/** User settings, stored by the engine so every client (window, browser, CLI) sees the same. */
export const SettingsSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  language: z.enum(['system', 'en', 'ko']).default('system'),
  /** Per-run log cap in bytes; the head and tail are kept, the middle dropped and counted. */
  logCapBytes: z.number().int().min(LIMITS.logCapMinBytes).max(LIMITS.logCapMaxBytes).default(50 * 1024 * 1024),
  defaultGroupParallel: z.number().int().min(1).max(LIMITS.groupParallel).default(4),
  notifications: z
    .object({
      policy: z.enum(['always', 'failure', 'never']).default('always'),
      onlyWhenUnfocused: z.boolean().default(true),
      doNotDisturb: z.boolean().default(false),
      /** Notify only for runs that took at least this long. */
      minDurationMs: z.number().int().min(0).default(0),
    })
    .prefault({}),
  /** Command id → key binding overrides of the default keymap ("" leaves a command without a key). */
  keymap: z.record(z.string().max(64), z.union([KeyBindingSchema, z.literal('')])).default({}),
  /** Global shortcut id → accelerator overrides ("" disables one). */
  globalShortcuts: z.record(z.string().max(64), z.union([AcceleratorSchema, z.literal('')])).default({}),
  closeToTray: z.boolean().default(true),
  startAtLogin: z.boolean().default(false),
  /** The desktop app keeps the computer from sleeping while a task runs (the screen may still turn off). */
  keepAwake: z.boolean().default(true),
  /** The desktop app reports the user away (groups with `onlyWhen: ['user-idle']` run) after this long without input, or at once when the screen locks. */
  idleAfterMinutes: z.number().int().min(1).max(240).default(10),
  /** Saved task definitions offered as favourites 1–9 (by saved task id or task id to rerun). */
  favourites: z.array(z.number().int().positive()).max(9).default([]),
  defaultGroup: GroupNameSchema.default('default'),
  /**
   * When the engine opens after a crash (it was not closed cleanly), groups with pending work
   * (queued or waiting tasks) start paused, as pueue's do, unless every pending task in one is
   * marked `retryOnInterrupt`. Off: they go on at once, as before.
   */
  pauseAfterCrash: z.boolean().default(true),
})
export type Settings = z.infer<typeof SettingsSchema>

/**
 * The settings a patch (settings.set) changes field by field: it names their fields one by
 * one, merged into the current ones; every other setting is replaced whole.
 */
export const FIELD_BY_FIELD_SETTINGS = ['notifications'] as const satisfies readonly (keyof Settings)[]
export type FieldByFieldSetting = (typeof FIELD_BY_FIELD_SETTINGS)[number]
export const isFieldByFieldSetting = (key: string): key is FieldByFieldSetting => (FIELD_BY_FIELD_SETTINGS as readonly string[]).includes(key)
export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({})
