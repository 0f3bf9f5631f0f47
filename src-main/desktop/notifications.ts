import type { Notification, NotificationConstructorOptions } from 'electron'
import type { Language } from '../../src-shared/decisions/language.ts'
import {
  bufferFinishes,
  emptyNotificationBuffer,
  sayNotification,
  takeDueNotification,
  type FinishedTask,
  type NotificationBuffer,
  type NotificationModel,
} from '../../src-shared/decisions/notifications.ts'
import type { DesktopIntent } from '../../src-shared/decisions/intents.ts'

export interface NotificationDeps {
  create: (options: NotificationConstructorOptions) => Pick<Notification, 'show' | 'close' | 'on'>
  isSupported: () => boolean
  platform: string
  /** The language to speak when a notification is shown (the user's setting may change meanwhile). */
  language: () => Language
  now: () => number
  setTimer: (run: () => void, ms: number) => { cancel(): void }
  onIntent: (intent: DesktopIntent) => void
  onRetry: (taskId: number) => void
}

/** Action buttons show only on macOS (signed, alert style) and Windows; elsewhere the click opens the task. */
const ACTIONS_PLATFORMS = new Set(['darwin', 'win32'])

/**
 * Shows the notifications the pure module decides, one per burst. Shown notifications
 * are kept referenced until closed: a collected Notification loses its click handler.
 */
export class NotificationController {
  private readonly deps: NotificationDeps
  private buffer: NotificationBuffer = emptyNotificationBuffer
  private timer: { cancel(): void } | null = null
  private readonly live = new Set<Pick<Notification, 'show' | 'close' | 'on'>>()

  constructor(deps: NotificationDeps) {
    this.deps = deps
  }

  /** Tasks already filtered by policy; they are told after the coalescing window. */
  add(tasks: readonly FinishedTask[]): void {
    if (tasks.length === 0 || !this.deps.isSupported()) return
    this.buffer = bufferFinishes(this.buffer, tasks, this.deps.now())
    if (this.timer === null && this.buffer.dueAt !== null) {
      this.timer = this.deps.setTimer(() => this.flush(), Math.max(0, this.buffer.dueAt - this.deps.now()))
    }
  }

  private flush(): void {
    this.timer = null
    const { notification, buffer } = takeDueNotification(this.buffer, this.deps.now())
    this.buffer = buffer
    if (notification) this.show(notification)
    else if (buffer.dueAt !== null) this.timer = this.deps.setTimer(() => this.flush(), Math.max(0, buffer.dueAt - this.deps.now()))
  }

  private show(model: NotificationModel): void {
    const withActions = ACTIONS_PLATFORMS.has(this.deps.platform) && model.actions.length > 0
    const text = sayNotification(model, this.deps.language())
    const notification = this.deps.create({
      title: text.title,
      body: text.body,
      urgency: model.urgency,
      ...(withActions ? { actions: text.actions.map((label) => ({ type: 'button' as const, text: label })) } : {}),
    })
    this.live.add(notification)
    notification.on('click', () => this.deps.onIntent(model.onClick))
    notification.on('action', (event) => {
      const action = model.actions[event.actionIndex]
      if (action?.id === 'retry') this.deps.onRetry(action.taskId)
      else if (action?.id === 'open-log') this.deps.onIntent({ kind: 'open-task', taskId: action.taskId })
    })
    notification.on('close', () => this.live.delete(notification))
    notification.show()
  }

  dispose(): void {
    this.timer?.cancel()
    this.timer = null
    for (const notification of this.live) notification.close()
    this.live.clear()
  }
}
