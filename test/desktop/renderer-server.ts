import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serveAppRequest } from '../../src-main/desktop/protocol.ts'
import { APP_ORIGIN } from '../../src-shared/decisions/appProtocol.ts'

export interface RendererServer {
  /** http://127.0.0.1:PORT, standing in for app://bundle. */
  readonly origin: string
  close(): Promise<void>
}

/**
 * The built renderer over loopback HTTP, every request answered by the same serveAppRequest
 * (files and headers) as Electron's app:// handler. `intercept` may answer a request first
 * (it returns true when it did).
 */
export async function serveRenderer(renderer: string, intercept: (request: IncomingMessage, response: ServerResponse) => boolean = () => false): Promise<RendererServer> {
  const server = createServer((request, response) => {
    if (intercept(request, response)) return
    void serveAppRequest(renderer, { url: `${APP_ORIGIN}${request.url ?? '/'}`, method: request.method ?? 'GET' }).then(async (answer) => {
      response.writeHead(answer.status, Object.fromEntries(answer.headers))
      response.end(Buffer.from(await answer.arrayBuffer()))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
