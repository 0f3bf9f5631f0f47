import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RemoteGroups } from '../../src-main/engine/backends/remote-groups.ts'
import { defaultRunners } from '../../src-main/engine/runners/index.ts'
import { startRedis, type RedisServer } from '../redis/harness.ts'
import { useTempHome } from '../support/engine.ts'

/** Machine conditions and Redis bindings asked for at the same moment: whichever comes second is refused. */
const dir = useTempHome()
let redis: RedisServer
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis.stop()
})

async function openApp() {
  const runners = defaultRunners({ reaperDir: dir.home })
  const remote = new RemoteGroups({ home: dir.home, local: runners })
  const app = await dir.open({ runners, backend: remote })
  remote.attach(app.engine)
  await app.engine.handlers['group.set']({ name: 'build', parallel: 1 })
  const bind = () => remote.handlers['group.bindRemote']({ name: 'build', connection: { url: redis.url, tlsRejectUnauthorized: true }, whenUnreachable: 'wait' })
  const setConditions = () => app.engine.handlers['group.set']({ name: 'build', parallel: 1, onlyWhen: ['ac-power'] })
  const setNetworkCondition = () => app.engine.handlers['group.set']({ name: 'build', onlyWhen: ['unmetered-network'] })
  return { remote, app, bind, setConditions, setNetworkCondition }
}

describe('machine conditions against a binding under way', () => {
  it('refuses conditions sent while the group is being bound (Redis probed)', async () => {
    const { remote, bind, setConditions } = await openApp()
    try {
      const binding = bind()
      await expect(setConditions()).rejects.toThrow(`Group "build" runs on Redis workers (${redis.url}): its onlyWhen conditions would judge`)
      expect((await binding).binding.group).toBe('build')
    } finally {
      await remote.close()
    }
  })

  it('refuses a binding sent while conditions are being set', async () => {
    const { remote, app, bind, setConditions } = await openApp()
    try {
      const set = setConditions()
      await expect(bind()).rejects.toThrow('Group "build" runs only when ac-power holds on this machine (onlyWhen)')
      expect((await set).group.onlyWhen).toEqual(['ac-power'])
      expect((await remote.handlers['group.listRemote']({})).bindings).toEqual([])
      // A refused binding leaves the group free to take conditions again.
      expect((await setConditions()).group.onlyWhen).toEqual(['ac-power'])
      expect((await app.engine.handlers['group.list']({})).groups.find((g) => g.name === 'build')?.onlyWhen).toEqual(['ac-power'])
    } finally {
      await remote.close()
    }
  })

  it('refuses unmetered-network on a bound group, and a binding of a group that has it: the workers use their own network', async () => {
    const { remote, app, bind, setNetworkCondition } = await openApp()
    try {
      await setNetworkCondition()
      await expect(bind()).rejects.toThrow('Group "build" runs only when unmetered-network holds on this machine (onlyWhen)')
      await expect(bind()).rejects.toMatchObject({ details: { reason: 'group-has-conditions', group: 'build', conditions: ['unmetered-network'] } })
      await app.engine.handlers['group.set']({ name: 'build', onlyWhen: [] })
      await bind()
      await expect(setNetworkCondition()).rejects.toThrow(`Group "build" runs on Redis workers (${redis.url}): its onlyWhen conditions would judge this machine's power, user and network`)
      await expect(setNetworkCondition()).rejects.toMatchObject({ details: { reason: 'group-runs-elsewhere', group: 'build', redis: redis.url } })
      await remote.handlers['group.unbindRemote']({ name: 'build' })
      // Refused as it is asked (a throw, not a rejection): caught as a transport would.
      await expect(Promise.resolve().then(() => remote.handlers['group.unbindRemote']({ name: 'build' }))).rejects.toMatchObject({ code: 'not_found', details: { reason: 'group-not-bound', group: 'build' } })
    } finally {
      await remote.close()
    }
  })
})
