import { createServer } from 'node:net'

/** A TCP port free on 127.0.0.1 right now (the OS picks it), for a server a test or bench starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port was assigned'))))
    })
  })
}
