import { BehaviorSubject, Subject } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import type { Bridge, ConnectionState } from '../../src-renderer/bridge/types.ts'
import { initI18n } from '../../src-renderer/i18n/index.ts'
import { createAppModel } from '../../src-renderer/model.ts'

// The page's model answers a second send of an intent still on its way itself: in the UI's language, like every other word.
describe('model.send while the same intent is on its way', () => {
  const disposers: (() => void)[] = []
  afterEach(() => {
    for (const dispose of disposers.splice(0)) dispose()
  })

  /** A bridge with no events whose commands stay unanswered (the first send stays in progress); the fired trigger is answered at the end. */
  const slowBridge = () => {
    const answers: (() => void)[] = []
    const bridge: Bridge = {
      invoke: (command) => new Promise((resolve) => (command === 'trigger.fire' ? answers.push(() => resolve({ ok: true, value: { taskId: 1 } } as never)) : undefined)),
      subscribe: () => () => {},
      resync$: new Subject<void>(),
    }
    disposers.push(() => answers.forEach((answer) => answer()))
    return bridge
  }

  for (const [language, words] of [
    ['en', 'Already in progress.'],
    ['ko', '이미 진행 중입니다.'],
  ] as const) {
    it(`says so in ${language}`, async () => {
      const i18n = initI18n(language)
      await i18n.changeLanguage(language)
      const model = createAppModel(slowBridge(), new BehaviorSubject<ConnectionState>({ kind: 'online' }))
      const intent = { command: 'trigger.fire', params: { triggerId: 1 }, key: 'trigger.fire:1' } as const
      void model.send(intent)
      const second = await model.send({ ...intent })
      expect(second.state).toBe('error')
      expect(second.state === 'error' && second.error).toEqual({ code: 'conflict', message: words })
    })
  }
})
