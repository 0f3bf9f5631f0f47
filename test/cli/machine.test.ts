import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Group, MachineState, Task } from '../../src-shared/index.ts'
import { startRedis, type RedisServer } from '../redis/harness.ts'
import { useServe } from './helpers.ts'

/** Machine conditions from the command line, against a real `taskdeck serve` (its own system monitor running). */
const serve = useServe()
const { cli } = serve

const statusOf = async (id: string): Promise<Task['status'] | undefined> =>
  (await cli('status', '--json')).json<{ tasks: Task[] }>().tasks.find((task) => String(task.id) === id)?.status
const row = (text: string, first: string) => text.split('\n').find((line) => line.startsWith(`${first} `))

describe('taskdeck group … --only-when / --when-unmet, machine, machine report', () => {
  it('gates a group by what is reported, holds its running task, and shows it in machine, status and group', async () => {
    const added = await cli('group', 'add', 'nightly', '--only-when', 'ac-power', '--when-unmet', 'pause')
    expect(added.stderr).toBe('')
    expect(added.stdout).toBe('Group nightly: 1 at a time; only when ac-power (its running tasks pause while unmet).\n')
    expect((await cli('group', '--json')).json<{ groups: Group[] }>().groups.find((g) => g.name === 'nightly')).toEqual({
      name: 'nightly',
      parallel: 1,
      paused: false,
      onlyWhen: ['ac-power'],
      whenUnmet: 'pause',
    })
    // Whatever this machine's own supplies say, a report stands until they change.
    const plugged = await cli('machine', 'report', '--ac', '--unknown-presence')
    expect(plugged.code).toBe(0)
    expect(plugged.stdout).toMatch(/^Power: +on AC power\nUser: +unknown\nNetwork: +not watched \(no group needs it\)\nLast change: +\d+s ago\n\nGROUP +ONLY WHEN +NOW\nnightly +ac-power \(pauses runs\) +runs\n$/)

    const running = (await cli('add', '-q', '--group', 'nightly', '--', 'sleep', '300')).stdout.trim()
    await vi.waitFor(async () => expect(await statusOf(running)).toBe('running'), { timeout: 20_000 })

    const battery = await cli('machine', 'report', '--battery')
    expect(battery.stdout).toMatch(/^Power: +on battery\n/)
    expect(row(battery.stdout, 'nightly')).toMatch(/^nightly +ac-power \(pauses runs\) +held: waits for AC power$/)
    const queued = (await cli('add', '-q', '--group', 'nightly', '--', 'true')).stdout.trim()

    const status = (await cli('status')).stdout
    expect(row(status, running)).toMatch(/ paused +nightly .*sleep 300 +\(held: waits for AC power\)$/)
    expect(row(status, queued)).toMatch(/ queued +nightly .*true +\(waits for AC power\)$/)
    expect(row((await cli('group')).stdout, 'nightly')).toMatch(/^nightly +1 +held: waits for AC power +- +ac-power \(pauses runs\) +this machine$/)
    expect((await cli('machine', '--json')).json<{ machine: MachineState }>().machine).toMatchObject({ onAcPower: false, userIdle: null })

    expect((await cli('machine', 'report', '--ac')).code).toBe(0)
    await vi.waitFor(async () => expect(await statusOf(running)).toBe('running'), { timeout: 20_000 })
    expect((await cli('kill', running)).code).toBe(0)
    await vi.waitFor(async () => expect(await statusOf(queued)).toBe('succeeded'), { timeout: 20_000 })

    // Presence, reported by a user's own script; --only-when none clears the conditions.
    expect((await cli('group', 'set', 'nightly', '--only-when', 'user-idle')).stdout).toContain('only when user-idle')
    expect((await cli('machine', 'report', '--present')).stdout).toMatch(/User: +present\n/)
    expect(row((await cli('group')).stdout, 'nightly')).toMatch(/held: waits for the user to be away/)
    const cleared = await cli('group', 'set', 'nightly', '--only-when', 'none')
    expect(cleared.stdout).toBe('Group nightly: 1 at a time.\n')
    expect(row((await cli('group')).stdout, 'nightly')).toMatch(/^nightly +1 +running +- +- +this machine$/)
  })

  it('holds an unmetered-network group on a metered network, shows why in machine, status and group, and runs it once unmetered', async () => {
    // Known unmetered (whatever this machine's NetworkManager says, a report stands until it changes): no note that it is unknown.
    expect((await cli('machine', 'report', '--unmetered')).code).toBe(0)
    const added = await cli('group', 'add', 'downloads', '--only-when', 'unmetered-network,ac-power', '--when-unmet', 'pause')
    expect([added.code, added.stderr]).toEqual([0, ''])
    expect(added.stdout).toBe('Group downloads: 1 at a time; only when unmetered-network and ac-power (its running tasks pause while unmet).\n')
    const metered = await cli('machine', 'report', '--metered', '--ac')
    expect(metered.code).toBe(0)
    expect(metered.stdout).toMatch(/^Power: +on AC power\nUser: +\w+\nNetwork: +metered\n/)
    expect(row(metered.stdout, 'downloads')).toMatch(/^downloads +unmetered-network,ac-power \(pauses runs\) +held: waits for an unmetered network$/)
    expect((await cli('machine', '--json')).json<{ machine: MachineState }>().machine).toMatchObject({ onAcPower: true, networkMetered: true })

    const queued = (await cli('add', '-q', '--group', 'downloads', '--', 'true')).stdout.trim()
    expect(row((await cli('status')).stdout, queued)).toMatch(/ queued +downloads .*true +\(waits for an unmetered network\)$/)
    expect(row((await cli('group')).stdout, 'downloads')).toMatch(/^downloads +1 +held: waits for an unmetered network +- +unmetered-network,ac-power \(pauses runs\) +this machine$/)
    expect(await statusOf(queued)).toBe('queued')

    const unmetered = await cli('machine', 'report', '--unmetered')
    expect(unmetered.stdout).toMatch(/\nNetwork: +unmetered\n/)
    await vi.waitFor(async () => expect(await statusOf(queued)).toBe('succeeded'), { timeout: 20_000 })
    expect((await cli('machine', 'report', '--unknown-network')).stdout).toMatch(/\nNetwork: +unknown\n/)
    expect(row((await cli('group')).stdout, 'downloads')).toMatch(/^downloads +1 +running /)
  })

  it('refuses what it cannot do, saying why (usage: exit 2; an unknown group: exit 1)', async () => {
    const cases: [string[], number, string][] = [
      [
        ['machine', 'report'],
        2,
        'machine report needs something to report: --ac, --battery or --unknown-power, --idle, --present or --unknown-presence, and/or --metered, --unmetered or --unknown-network.',
      ],
      [['machine', 'report', '--metered', '--unmetered'], 2, '--metered and --unmetered contradict each other: give one of --metered, --unmetered, --unknown-network.'],
      [['machine', 'report', '--ac', '--unmetered', '--unknown-network'], 2, '--unmetered and --unknown-network contradict each other: give one of --metered, --unmetered, --unknown-network.'],
      [['machine', 'report', '--ac', '--battery'], 2, '--ac and --battery contradict each other: give one of --ac, --battery, --unknown-power.'],
      [['machine', 'report', '--idle', '--present', '--ac'], 2, '--idle and --present contradict each other: give one of --idle, --present, --unknown-presence.'],
      [['group', 'set', 'default'], 2, 'group set needs something to change: --parallel, --only-when, --when-unmet, --rate or --pause-on-failure.'],
      [['group', 'set', 'default', '--only-when', 'ac-power,mains'], 2, '--only-when: "mains" is not a condition (give ac-power, user-idle, unmetered-network, several comma-separated, or none).'],
      [['group', 'set', 'default', '--only-when', 'unmetered-network,unmetered-network'], 2, '--only-when: unmetered-network is named twice.'],
      [['group', 'set', 'default', '--only-when', 'ac-power,ac-power'], 2, '--only-when: ac-power is named twice.'],
      [['group', 'set', 'default', '--when-unmet', 'stop'], 2, '--when-unmet: "stop" is not wait or pause (wait: start no new run; pause: also pause the running ones until met).'],
      [['group', 'set', 'nope', '--only-when', 'ac-power'], 1, 'There is no group "nope" (create it with `taskdeck group add nope --parallel 1 --only-when ac-power`).'],
    ]
    for (const [args, code, message] of cases) {
      const result = await cli(...args)
      expect([result.code, result.stderr], args.join(' ')).toEqual([code, `taskdeck: ${message}\n`])
    }
    // Nothing was changed by a refusal.
    expect((await cli('group', '--json')).json<{ groups: Group[] }>().groups.find((g) => g.name === 'default')).toEqual({ name: 'default', parallel: 4, paused: false })
  })
})

describe('a group bound to Redis takes no machine conditions (they judge this machine, not the workers)', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis.stop()
  })

  it('refuses --only-when on a bound group, and binding a group that has conditions', async () => {
    expect((await cli('group', 'add', 'build')).code).toBe(0)
    expect((await cli('group', 'bind', 'build', '--redis', redis.url)).code).toBe(0)
    const set = await cli('group', 'set', 'build', '--only-when', 'ac-power')
    expect(set.code).toBe(1)
    expect(set.stderr).toBe(
      `taskdeck: Group "build" runs on Redis workers (${redis.url}): its onlyWhen conditions would judge this machine's power, user and network, which say nothing about the workers' machines. Unbind it first (taskdeck group unbind build).\n`,
    )
    // Other changes of a bound group are fine.
    expect((await cli('group', 'set', 'build', '--parallel', '2')).code).toBe(0)
    expect((await cli('group', 'unbind', 'build')).code).toBe(0)
    expect((await cli('group', 'set', 'build', '--only-when', 'ac-power')).code).toBe(0)
    const bind = await cli('group', 'bind', 'build', '--redis', redis.url)
    expect(bind.code).toBe(1)
    expect(bind.stderr).toBe(
      "taskdeck: Group \"build\" runs only when ac-power holds on this machine (onlyWhen), which says nothing about the workers' machines. Clear its conditions first (taskdeck group set build --only-when none).\n",
    )
    expect((await cli('group', '--json')).json<{ bindings: unknown[] }>().bindings).toEqual([])
    expect((await cli('group', 'set', 'build', '--only-when', 'none')).code).toBe(0)
    expect((await cli('group', 'bind', 'build', '--redis', redis.url)).code).toBe(0)
    expect((await cli('group', 'unbind', 'build')).code).toBe(0)
  })
})
