/**
 * A real Taskdeck server process whose engine is opened without the Redis backend (as a bare
 * engine is), so it does not serve `group.listRemote`: `node serve-without-redis.ts HOME`.
 * Prints "ready" once api.json is written; SIGTERM closes it as `taskdeck serve` does.
 */
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer } from '../../src-main/server/server.ts'

const home = process.argv[2]
if (home === undefined) throw new Error('usage: serve-without-redis.ts HOME')
const engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
const server = await createServer({ engine, home })
process.once('SIGTERM', () => {
  void server
    .close()
    .then(() => engine.close())
    .then(() => process.exit(0))
})
process.stdout.write('ready\n')
