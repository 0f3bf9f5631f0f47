import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { EngineEvent, WorkerInfo } from '../../src-shared/index.ts'
import { STDIN_MAX_MESSAGES } from '../../src-main/engine/backends/redis-protocol.ts'
import { shell } from '../engine/helpers.ts'
import { until } from './harness.ts'
import { useRemoteWorld } from './world.ts'

const PASSWORD = 's3cret-pass'

/** The real engine with a group bound to a real Redis (with a password) and real worker processes. */
describe('engine with a remote group', () => {
  const world = useRemoteWorld({ password: PASSWORD, parallel: 10 })

  it('binds the group to a Redis with a password and reports it connected', () => {
    expect(world.binding).toMatchObject({ group: 'remote', redis: world.redis.url, status: 'connected', reason: null })
  })

  it('runs a remote group task on a worker and shows it like a local one; other groups stay local', async () => {
    const [a] = [await world.worker()]
    const task = await world.app.submit(shell('echo from-remote; echo warn >&2', { group: 'remote' }))
    const local = await world.app.submit(shell('echo from-here'))
    expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
    expect((await world.app.until(local.id, ['succeeded', 'failed'])).status).toBe('succeeded')

    const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'succeeded', exitCode: 0, worker: a.id, pid: null })
    const lines = await world.app.lines(runs[0]!.id)
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stdout', text: 'from-remote' }))
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', text: 'warn' }))
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'system', text: `started on worker ${a.id}` }))

    const [localRun] = (await world.app.engine.handlers['task.get']({ taskId: local.id })).runs
    expect(localRun).toMatchObject({ status: 'succeeded', worker: 'local' })
  })

  it("keeps what a remote run wrote last on stderr, and a missing program's 127, as a local run does", async () => {
    await world.worker()
    const failing = await world.app.submit(shell(`echo out; printf '\\033[31mfatal:\\033[0m quota exceeded\\n' >&2; exit 3`, { group: 'remote' }))
    const missing = await world.app.submit(shell(['definitely-not-a-program-xyz'], { group: 'remote' }))
    await world.app.until(failing.id, ['failed'])
    await world.app.until(missing.id, ['failed'])
    const runOf = async (taskId: number) => (await world.app.engine.handlers['task.get']({ taskId })).runs[0]
    expect(await runOf(failing.id)).toMatchObject({ exitCode: 3, reason: 'exited with code 3', stderrTail: 'fatal: quota exceeded' })
    expect(await runOf(missing.id)).toMatchObject({ exitCode: 127, reason: 'executable not found: definitely-not-a-program-xyz' })
  })

  it('a worker killed mid-run: run 1 is interrupted ("worker … lost"), run 2 succeeds on the other worker', async () => {
    const [a, b] = [await world.worker(), await world.worker()]
    const marker = join(world.home, 'marker')
    const command = `if [ -e ${marker} ]; then echo second; else touch ${marker}; echo first; sleep 60; fi`
    const task = await world.app.submit(shell(command, { group: 'remote', retryOnInterrupt: true }))
    await world.printed(task.id, 'first', 'the first attempt to print')
    const { runs: [first] } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    const firstLines = await world.app.lines(first!.id)
    const victim = firstLines.some((l) => l.text === `started on worker ${a.id}`) ? a : b
    victim.child.kill('SIGKILL')

    expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
    const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(runs.map((r) => [r.attempt, r.status, r.worker])).toEqual([
      [1, 'interrupted', victim.id],
      [2, 'succeeded', (victim === a ? b : a).id],
    ])
    expect(runs[0]!.reason).toContain(`worker ${victim.id} lost`)
    expect((await world.app.lines(runs[1]!.id)).map((l) => l.text)).toContain('second')
  })

  it('cancels and times out remote runs like local ones', async () => {
    await world.worker()
    const cancelled = await world.app.submit(shell('echo up; sleep 60', { group: 'remote' }))
    await world.printed(cancelled.id, 'up', 'the run to start')
    await world.app.engine.handlers['task.cancel']({ taskIds: [cancelled.id] })
    expect((await world.app.until(cancelled.id, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled')

    const timed = await world.app.submit(shell('sleep 60', { group: 'remote', timeoutMs: 300 }))
    expect((await world.app.until(timed.id, ['timed_out', 'failed', 'succeeded'])).status).toBe('timed_out')
  })

  it('task.send writes to the stdin of a shell task on a worker, in order, including text sent before a worker took it', async () => {
    const task = await world.app.submit(shell('for i in 1 2 3; do read line; echo "got:$line"; done', { group: 'remote' }))
    await world.printed(task.id, 'waiting for a worker', 'the run to wait in Redis')
    await world.app.engine.handlers['task.send']({ taskId: task.id, text: 'one\n' })
    await world.worker()
    await world.printed(task.id, 'got:one', 'the first line to be read')
    await world.app.engine.handlers['task.send']({ taskId: task.id, text: 'two\n' })
    await world.app.engine.handlers['task.send']({ taskId: task.id, text: 'three\n' })
    expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
    const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    const stdout = (await world.app.lines(runs[0]!.id)).filter((l) => l.stream === 'stdout').map((l) => l.text)
    expect(stdout).toEqual(['got:one', 'got:two', 'got:three'])

    // A spec that writes its own stdin closes it, remotely as locally.
    const closed = await world.app.submit({ spec: { kind: 'shell', command: 'cat; echo up; sleep 60', stdin: 'given\n' }, group: 'remote' })
    await world.printed(closed.id, 'up', 'the run to start')
    await expect(world.app.engine.handlers['task.send']({ taskId: closed.id, text: 'more\n' })).rejects.toThrow("This run's stdin is closed")
    await world.app.engine.handlers['task.cancel']({ taskIds: [closed.id] })
    expect((await world.app.until(closed.id, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled')
  })

  it('stdin text waiting for a worker is bounded: past the bound it is refused and the run log says so', async () => {
    const task = await world.app.submit(shell('cat', { group: 'remote' }))
    await world.printed(task.id, 'waiting for a worker', 'the run to wait in Redis')
    for (let i = 0; i <= STDIN_MAX_MESSAGES; i++) await world.app.engine.handlers['task.send']({ taskId: task.id, text: `line ${i}\n` })
    await until(() => world.app.events.some((e) => e.type === 'run.output' && e.taskId === task.id && e.stream === 'system' && e.text.includes('stdin text not delivered')), 'the refusal')
    const refused = world.app.events.filter((e) => e.type === 'run.output' && e.taskId === task.id && e.text.includes('not delivered'))
    expect(refused).toHaveLength(1)
    expect(JSON.stringify(refused)).toContain(`at most ${STDIN_MAX_MESSAGES} messages`)
    await world.app.engine.handlers['task.cancel']({ taskIds: [task.id] })
    expect((await world.app.until(task.id, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled')
  })

  it('an overflow group runs up to its local slots in the app and the rest on workers', async () => {
    const w = await world.worker('burst')
    await world.app.engine.handlers['group.set']({ name: 'burst', parallel: 3 })
    const { binding } = await world.bind('burst', { localSlots: 2 })
    expect(binding.localSlots).toBe(2)
    const gate = join(world.home, 'burst-gate')
    const tasks = []
    for (let i = 0; i < 3; i++) tasks.push(await world.app.submit(shell(`echo up; until [ -e ${gate} ]; do sleep 0.05; done; echo done`, { group: 'burst' })))
    for (const task of tasks) await world.printed(task.id, 'up', `task ${task.id} to start`)
    writeFileSync(gate, '')
    for (const task of tasks) expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
    const runs = await Promise.all(tasks.map(async (task) => (await world.app.engine.handlers['task.get']({ taskId: task.id })).runs[0]!))
    expect(runs.map((r) => r.worker).sort()).toEqual(['local', 'local', w.id].sort())
    for (const run of runs.filter((r) => r.worker === 'local')) {
      expect((await world.app.lines(run.id)).some((l) => l.text.startsWith('running in this app (local slot'))).toBe(true)
    }
  })

  it('a group bound with whenUnreachable "local" runs in the app while Redis is down', async () => {
    await world.app.engine.handlers['group.set']({ name: 'hybrid', parallel: 2 })
    await world.bind('hybrid', { whenUnreachable: 'local' })
    await world.redis.kill()
    try {
      await until(async () => {
        const { bindings } = await world.remote.handlers['group.listRemote']({})
        return bindings.find((b) => b.group === 'hybrid')?.status === 'unreachable'
      }, 'the binding to report Redis unreachable')
      const task = await world.app.submit(shell('echo ran-here', { group: 'hybrid' }))
      expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
      const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
      expect(runs[0]).toMatchObject({ worker: 'local' })
      const texts = (await world.app.lines(runs[0]!.id)).map((l) => l.text)
      expect(texts).toContain('ran-here')
      expect(texts.some((t) => t.includes('unreachable') && t.includes('running in this app instead'))).toBe(true)
    } finally {
      await world.redis.start()
    }
  })

  it('lists workers, streams their heartbeats to subscribers, and keeps the password out of every answer', async () => {
    const w = await world.worker()
    const { workers: listed } = await world.remote.handlers['worker.list']({ group: 'remote' })
    expect(listed.map((x) => x.id)).toEqual([w.id])
    await until(() => world.app.events.some((e) => e.type === 'worker.heartbeat' && e.worker.id === w.id), 'a heartbeat event')
    const beat = world.app.events.find((e): e is Extract<EngineEvent, { type: 'worker.heartbeat' }> => e.type === 'worker.heartbeat')!
    expect(beat.worker satisfies WorkerInfo).toMatchObject({ group: 'remote', concurrency: 1, state: 'running' })

    const { bindings } = await world.remote.handlers['group.listRemote']({})
    expect(JSON.stringify(bindings)).not.toContain(PASSWORD)
    expect(bindings[0]!.secretStorage).toContain('not encrypted')
    const file = join(world.home, 'remote-groups.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).not.toContain(PASSWORD)
  })
})
