import { createServer as createNetServer, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer } from '../../src-main/server/server.ts'
import { call, tempLayout } from './helpers.ts'

/** A restarted server keeps its URL (a webhook's, an open tab's) when it can. */
describe('the port of a restarted server', () => {
  const layout = tempLayout()
  let engine: Engine
  beforeAll(async () => {
    engine = await Engine.open({ home: layout.home, statsIntervalMs: 0 })
  })
  afterAll(async () => {
    await engine.close()
    layout.cleanup()
  })

  it('is the port of the last server of the same home when that port is free', async () => {
    const first = await createServer({ engine, home: layout.home })
    const port = first.port
    await first.close()
    const second = await createServer({ engine, home: layout.home })
    try {
      expect(second.port).toBe(port)
      expect(second.url).toBe(`http://127.0.0.1:${port}/`)
      expect(await call(second, 'group.list')).toMatchObject({ groups: expect.any(Array) as unknown })
    } finally {
      await second.close()
    }
  })

  it('is any free port when another program took it meanwhile, and --port still insists on its own', async () => {
    const squatter: Server = createNetServer()
    const taken = await new Promise<number>((resolve) => squatter.listen({ port: 0, host: '127.0.0.1' }, () => resolve((squatter.address() as { port: number }).port)))
    try {
      writeFileSync(join(layout.home, 'api-port'), `${taken}\n`)
      const server = await createServer({ engine, home: layout.home })
      try {
        expect(server.port).not.toBe(taken)
        expect(await call(server, 'group.list')).toMatchObject({ groups: expect.any(Array) as unknown })
      } finally {
        await server.close()
      }
      await expect(createServer({ engine, home: layout.home, port: taken })).rejects.toThrow(`Port ${taken} on 127.0.0.1 is already in use; choose another with --port.`)
    } finally {
      await new Promise((resolve) => squatter.close(resolve))
    }
  })
})
