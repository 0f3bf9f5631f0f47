import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { RemoteGroups } from '../../src-main/engine/backends/remote-groups.ts'
import { workerRunners } from '../../src-main/worker/runners.ts'
import { openEngine, tempHome } from '../engine/helpers.ts'
import { spawnWorker, startRedis, until } from './harness.ts'
import type { RedisServer, WorkerProcess } from './harness.ts'

type BindParams = Parameters<RemoteGroups['handlers']['group.bindRemote']>[0]

export interface RemoteWorldOptions {
  /** The Redis requires this password (`--requirepass`); the app and the workers use it. */
  password?: string
  /** The remote group bound for each test: its name is "remote". */
  parallel: number
}

/**
 * What a remote-group test of the whole app needs, set up before each test and torn down
 * after it: a real redis-server, a data directory, the engine (real SQLite log) with
 * RemoteGroups as its backend, the group "remote" bound to that Redis, and `taskdeck worker`
 * processes started on demand. The app can be closed and reopened on the same directory.
 */
export interface RemoteWorld {
  readonly redis: RedisServer
  readonly home: string
  readonly remote: RemoteGroups
  readonly app: Awaited<ReturnType<typeof openEngine>>
  /** What binding the group "remote" answered. */
  readonly binding: Awaited<ReturnType<RemoteWorld['bind']>>['binding']
  /** A path in the data directory. */
  readonly file: (name: string) => string
  /** Starts a `taskdeck worker` (concurrency 1) for `group`, stopped after the test. */
  worker(group?: string): Promise<WorkerProcess>
  /** Binds `group` to this world's Redis (with its password). */
  bind(group: string, extra?: Partial<Omit<BindParams, 'name' | 'connection'>>): ReturnType<RemoteGroups['handlers']['group.bindRemote']>
  /** The engine and its backend closed as the app closes them (`Promise.all([engine.close(), remote.close()])`). */
  closeApp(): Promise<void>
  /** A new engine and RemoteGroups on the same data directory (the app started again). */
  openApp(): Promise<void>
  /** Resolves once task `taskId` has printed a line containing `text` (any stream). */
  printed(taskId: number, text: string, what?: string): Promise<void>
}

export function useRemoteWorld(options: RemoteWorldOptions): RemoteWorld {
  let redis: RedisServer
  let home: ReturnType<typeof tempHome>
  let pool: ReturnType<typeof workerRunners>
  let remote: RemoteGroups
  let app: Awaited<ReturnType<typeof openEngine>>
  let open = false
  let binding: RemoteWorld['binding']
  const workers: WorkerProcess[] = []
  const connection = () => ({ url: redis.url, ...(options.password !== undefined && { password: options.password }), tlsRejectUnauthorized: true })

  const world: RemoteWorld = {
    get redis() {
      return redis
    },
    get home() {
      return home.home
    },
    get remote() {
      return remote
    },
    get app() {
      return app
    },
    get binding() {
      return binding
    },
    file: (name) => join(home.home, name),
    async worker(group = 'remote') {
      const env = options.password === undefined ? {} : { TASKDECK_REDIS_PASSWORD: options.password }
      const started = await spawnWorker(redis.url, group, { concurrency: 1, env })
      workers.push(started)
      return started
    },
    bind: (group, extra = {}) => remote.handlers['group.bindRemote']({ whenUnreachable: 'wait', ...extra, name: group, connection: connection() }),
    async openApp() {
      remote = new RemoteGroups({ home: home.home, local: pool.runners, retryMs: 200 })
      app = await openEngine({ home: home.home, runners: pool.runners, backend: remote })
      remote.attach(app.engine)
      open = true
    },
    async closeApp() {
      open = false
      await Promise.all([app.close(), remote.close()])
    },
    printed: (taskId, text, what = `task ${taskId} to print "${text}"`) =>
      until(() => app.events.some((e) => e.type === 'run.output' && e.taskId === taskId && e.text.includes(text)), what),
  }

  beforeEach(async () => {
    redis = await startRedis(options.password === undefined ? [] : ['--requirepass', options.password])
    home = tempHome()
    pool = workerRunners(2)
    await world.openApp()
    await app.engine.handlers['group.set']({ name: 'remote', parallel: options.parallel })
    ;({ binding } = await world.bind('remote'))
  })
  afterEach(async () => {
    if (open) await world.closeApp()
    await pool.close()
    await Promise.all(workers.splice(0).map((w) => w.stop()))
    await redis.stop()
    home.cleanup()
  })
  return world
}
