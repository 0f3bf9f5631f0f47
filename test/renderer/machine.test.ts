import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent, Group, MachineCondition, MachineState } from '../../src-shared/index.ts'
import { heldConditions, unmetConditions } from '../../src-shared/decisions/machine.ts'
import { sayHeld, sayHeldGroups, sayLoopEntry, sayUnmet, type Clock } from '../../src-renderer/streams/engine-sentences.ts'
import { knownMet, machineHold } from '../../src-renderer/streams/machine.ts'
import { describeLoopState } from '../../src-main/engine/end-reasons.ts'
import { INITIAL_STATE, foldEvents, seedMachine } from '../../src-renderer/streams/state.ts'
import { machineSeeds$, workerListTriggers$ } from '../../src-renderer/streams/workers.ts'
import { translator } from '../support/translator.ts'

const clock: Clock = { time: (at) => String(at), duration: String }
const group = (name: string, patch: Partial<Group> = {}): Group => ({ name, parallel: 1, paused: false, ...patch })
const groups = (...list: Group[]) => new Map(list.map((g) => [g.name, g]))
const machine = (onAcPower: boolean | null, userIdle: boolean | null, at = 1): MachineState => ({ onAcPower, userIdle, at })

describe('which machine conditions a group has unmet', () => {
  it('counts unknown as met, and keeps the group’s order', () => {
    expect(unmetConditions(['ac-power', 'user-idle'], null)).toEqual([])
    expect(unmetConditions(['ac-power', 'user-idle'], machine(null, null))).toEqual([])
    expect(unmetConditions(['user-idle', 'ac-power'], machine(false, false))).toEqual(['user-idle', 'ac-power'])
    expect(unmetConditions(['ac-power'], machine(false, true))).toEqual(['ac-power'])
    expect(unmetConditions(['ac-power', 'user-idle'], machine(true, true))).toEqual([])
    expect(unmetConditions(undefined, machine(false, false))).toEqual([])
  })
})

describe('the status bar’s machine indicator', () => {
  it('says nothing while no group has conditions', () => {
    expect(machineHold(groups(group('default'), group('io', { onlyWhen: [] })), machine(false, false))).toBeNull()
  })

  it('counts the groups held and the conditions they wait for', () => {
    const all = groups(group('default'), group('builds', { onlyWhen: ['ac-power'] }), group('nightly', { onlyWhen: ['user-idle', 'ac-power'], whenUnmet: 'pause' }), group('sync', { onlyWhen: ['user-idle'] }))
    expect(machineHold(all, machine(false, true))).toEqual({ conditioned: ['builds', 'nightly', 'sync'], held: ['builds', 'nightly'], watched: ['ac-power', 'user-idle'], unmet: ['ac-power'], pending: [] })
    expect(machineHold(all, machine(true, false))).toMatchObject({ held: ['nightly', 'sync'], unmet: ['user-idle'] })
    expect(machineHold(all, machine(true, true))).toMatchObject({ held: [], unmet: [] })
    expect(machineHold(all, null)).toMatchObject({ held: [], unmet: [] })
  })
})

describe('the groups held, as the engine says (MachineState.held)', () => {
  it('are taken from the engine when it says them, judged here only from a server before it did', () => {
    const all = groups(group('builds', { onlyWhen: ['ac-power'] }), group('nightly', { onlyWhen: ['user-idle'] }))
    // The engine holds nightly (say, for a condition this client does not know how to judge) and not builds.
    const said: MachineState = { ...machine(false, null), held: { nightly: ['user-idle'] } }
    expect(machineHold(all, said)).toMatchObject({ held: ['nightly'], unmet: ['user-idle'] })
    expect(heldConditions(all.get('builds'), said)).toEqual([])
    expect(heldConditions(all.get('nightly'), said)).toEqual(['user-idle'])
    // An older server: judged from the conditions.
    expect(heldConditions(all.get('builds'), machine(false, null))).toEqual(['ac-power'])
  })
})

describe('the unmetered-network condition in the status bar', () => {
  const metered = (networkMetered: boolean | null | undefined): MachineState => ({ onAcPower: true, userIdle: null, at: 1, ...(networkMetered === undefined ? {} : { networkMetered }) })
  const heldEntry = (unmet: MachineCondition[]) => ({ taskId: 1, name: 'n', group: 'builds', detail: '', state: { kind: 'machine' as const, unmet } })
  const all = groups(group('downloads', { onlyWhen: ['unmetered-network'] }), group('builds', { onlyWhen: ['ac-power'] }))

  it('holds only the groups that need an unmetered network while it is metered; unknown or absent (an older server) holds nothing', () => {
    expect(machineHold(all, metered(true))).toEqual({ conditioned: ['downloads', 'builds'], held: ['downloads'], watched: ['ac-power', 'unmetered-network'], unmet: ['unmetered-network'], pending: [] })
    expect(machineHold(all, metered(false))).toMatchObject({ held: [], unmet: [] })
    expect(machineHold(all, metered(null))).toMatchObject({ held: [], unmet: [] })
    expect(machineHold(all, metered(undefined))).toMatchObject({ held: [], unmet: [] })
  })

  it('holds the groups that need a network not read yet (pending) as waiting for its reading, not for a metered network, and never shows it as met', () => {
    const looking = (networkMetered: boolean | null): MachineState => ({ ...metered(networkMetered), pending: ['unmetered-network'] })
    expect(machineHold(all, looking(false))).toEqual({ conditioned: ['downloads', 'builds'], held: ['downloads'], watched: ['ac-power', 'unmetered-network'], unmet: [], pending: ['unmetered-network'] })
    expect(machineHold(all, looking(true))).toMatchObject({ held: ['downloads'], unmet: [], pending: ['unmetered-network'] })
    expect(knownMet('unmetered-network', looking(false))).toBe(false)
    expect(knownMet('ac-power', looking(false))).toBe(true)
  })

  it('shows a condition as met only when known to be: unmetered, not unknown', () => {
    expect(knownMet('unmetered-network', metered(false))).toBe(true)
    expect(knownMet('unmetered-network', metered(null))).toBe(false)
    expect(knownMet('unmetered-network', metered(undefined))).toBe(false)
    expect(knownMet('unmetered-network', metered(true))).toBe(false)
    expect(knownMet('ac-power', metered(true))).toBe(true)
    expect(knownMet('user-idle', metered(true))).toBe(false)
  })

  it('says the indicator, the held banner and the loop in English and Korean', async () => {
    const t = await translator('en')
    expect(t('machine.unmet.unmetered-network')).toBe('Metered network')
    expect(sayHeldGroups(['unmetered-network'], ['downloads'], t)).toBe('Waiting for an unmetered network: downloads')
    expect(sayLoopEntry(heldEntry(['unmetered-network']), t, clock)).toBe('held: builds waits for an unmetered network')
    expect(sayHeld(['unmetered-network'], 'downloads', t)).toBe('paused: downloads waits for an unmetered network')
    expect(t('wait.held', { group: 'downloads', conditions: sayUnmet(['unmetered-network'], t, 'wait') })).toBe(
      'Paused by group downloads until the network is not metered; it resumes by itself then.',
    )
    expect(t('settings.conditions.unmetered-network')).toBe('On an unmetered network')
    expect(t('machine.pending.unmetered-network')).toBe('Checking the network')
    const k = await translator('ko')
    expect(t('machine.unmet.unmetered-network')).not.toBe(k('machine.unmet.unmetered-network'))
    expect(k('machine.unmet.unmetered-network')).toBe('종량제 네트워크')
    expect(sayLoopEntry(heldEntry(['ac-power', 'unmetered-network']), k, clock)).toBe('보류: builds 그룹 조건 대기 (AC 전원 연결, 종량제가 아닌 네트워크)')
    expect(k('settings.conditions.unmetered-network')).toBe('종량제가 아닌 네트워크 연결 시')
    expect(k('machine.pending.unmetered-network')).toBe('네트워크 확인 중')
  })
})

describe('the machine state in the app state', () => {
  const updated = (state: MachineState): EngineEvent => ({ type: 'machine.updated', machine: state })

  it('follows machine.updated, and a machine.get answer only when it is not older', () => {
    const first = foldEvents(INITIAL_STATE, [updated(machine(false, false, 5))])
    expect(first.machine).toEqual(machine(false, false, 5))
    // An answer sent before that update arrives after it: the update stays.
    expect(seedMachine(first, machine(true, false, 4))).toBe(first)
    expect(seedMachine(first, machine(true, false, 6)).machine).toEqual(machine(true, false, 6))
    expect(seedMachine(INITIAL_STATE, machine(null, null, 0)).machine).toEqual(machine(null, null, 0))
    // Other events keep it.
    expect(foldEvents(first, [{ type: 'engine.paused', paused: true, seq: 1, at: 1 }]).machine).toEqual(machine(false, false, 5))
  })

  it('orders two states of one engine by revision: a tie of `at` or a clock stepping back does not decide', () => {
    const revised = (onAcPower: boolean, at: number, revision: number): MachineState => ({ onAcPower, userIdle: null, at, revision })
    const known = foldEvents(INITIAL_STATE, [updated(revised(false, 5, 4))])
    // A machine.get answered before that update, in the same millisecond: older by revision, so the update stays.
    expect(seedMachine(known, revised(true, 5, 3))).toBe(known)
    // The clock stepped back, yet the update is newer.
    expect(foldEvents(known, [updated(revised(true, 2, 5))]).machine).toEqual(revised(true, 2, 5))
    expect(foldEvents(known, [updated(revised(true, 9, 3))]).machine).toEqual(revised(false, 5, 4))
  })

  it("takes a new connection's machine.get answer whatever its revision (a restarted engine counts from 0 again)", () => {
    const known = foldEvents(INITIAL_STATE, [updated({ onAcPower: false, userIdle: null, at: 50, revision: 7 })])
    const restarted: MachineState = { onAcPower: true, userIdle: null, at: 10, revision: 0 }
    expect(seedMachine(known, restarted)).toBe(known)
    expect(seedMachine(known, restarted, true).machine).toEqual(restarted)
  })

  it('says which machine.get answers answer a connection coming online, and which a resync', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, cold, expectObservable }) => {
      const state = machine(true, true)
      const triggers$ = workerListTriggers$(hot('t---f-t', { t: true, f: false }), hot('0-1', { 0: 0, 1: 1 }))
      const seeds = machineSeeds$(triggers$, () => cold('-(a|)', { a: { ok: true as const, value: { machine: state } } }))
      expectObservable(seeds).toBe('-c-r---c', { c: { machine: state, newConnection: true }, r: { machine: state, newConnection: false } })
    })
  })
})

describe('machine sentences', () => {
  it('in English, as the engine words them, but saying “you” where the engine says “the user”', async () => {
    const t = await translator('en')
    for (const unmet of [['ac-power'], ['user-idle'], ['unmetered-network'], ['ac-power', 'user-idle', 'unmetered-network']] as const) {
      const state = { kind: 'machine' as const, unmet: [...unmet] }
      const engine = describeLoopState(state, 'io').replace('the user', 'you')
      expect(sayLoopEntry({ taskId: 1, name: 'n', group: 'io', detail: '', state }, t, clock)).toBe(engine)
    }
  })

  const entry = (unmet: MachineCondition[]) => ({ taskId: 1, name: 'n', group: 'builds', detail: '', state: { kind: 'machine' as const, unmet } })

  it('say what a held group waits for, in English and Korean', async () => {
    const t = await translator('en')
    expect(sayLoopEntry(entry(['ac-power']), t, clock)).toBe('held: builds waits for AC power')
    expect(sayLoopEntry(entry(['ac-power', 'user-idle']), t, clock)).toBe('held: builds waits for AC power and you to be away')
    expect(sayLoopEntry({ ...entry(['ac-power']), state: { kind: 'waiting', waitingFor: { kind: 'machine', group: 'builds', unmet: ['user-idle'] } } }, t, clock)).toBe('held: builds waits for you to be away')
    expect(sayHeld(['ac-power'], 'builds', t)).toBe('paused: builds waits for AC power')
    const k = await translator('ko')
    expect(sayLoopEntry(entry(['ac-power', 'user-idle']), k, clock)).toBe('보류: builds 그룹 조건 대기 (AC 전원 연결, 자리 비움)')
    expect(sayHeld(['user-idle'], 'builds', k)).toBe('일시 중지: builds 그룹 조건 대기 (자리 비움)')
  })

  it("name the held groups in the status bar's title, and the task detail's conditions as clauses, through one join", async () => {
    const t = await translator('en')
    expect(sayHeldGroups(['user-idle'], ['nightly'], t)).toBe('Waiting for you to be away: nightly')
    expect(sayHeldGroups(['ac-power', 'user-idle'], ['builds', 'nightly'], t)).toBe('Waiting for AC power and you to be away: builds, nightly')
    expect(sayUnmet(['ac-power', 'user-idle'], t, 'wait')).toBe('the computer is on AC power and you are away')
    const k = await translator('ko')
    expect(sayHeldGroups(['ac-power', 'user-idle'], ['nightly'], k)).toBe('조건 대기 중(AC 전원 연결, 자리 비움): nightly')
  })
})
