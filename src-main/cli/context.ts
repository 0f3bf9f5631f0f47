import { resolveHome } from '../engine/home.ts'
import type { ApiInfo } from '../server/api-file.ts'
import { ApiClient } from './client.ts'
import { runningServer, startDaemon } from './daemon.ts'
import { CliError, EXIT } from './exit.ts'

/** Options every command accepts, before or after its name. */
export interface GlobalOptions {
  home?: string
  json?: boolean
  autoStart?: boolean
}

/** A server already looked up for a home (a bare `taskdeck` looks before choosing `status`). */
export interface FoundServer {
  home: string
  info: ApiInfo
}

/** What a command needs: where the data lives, how to print, and a way to reach the server. */
export class Context {
  readonly home: string
  readonly json: boolean
  private readonly autoStart: boolean
  private client: ApiClient | null = null
  private readonly found: ApiInfo | null

  constructor(options: GlobalOptions, found?: FoundServer) {
    try {
      this.home = resolveHome(options.home === undefined ? {} : { flag: options.home })
    } catch (error) {
      const source = options.home ? '--home' : process.env.TASKDECK_HOME ? 'TASKDECK_HOME' : 'the default data directory'
      throw new CliError(EXIT.usage, 'usage', `${source}: cannot use it as the data directory: ${(error as Error).message}`)
    }
    this.json = options.json === true
    this.autoStart = options.autoStart === true || process.env.TASKDECK_AUTOSTART === '1'
    this.found = found?.home === this.home ? found.info : null
  }

  /** The running Taskdeck for this home; started in the background first with --auto-start. */
  async connect(): Promise<ApiClient> {
    if (this.client) return this.client
    let info = this.found ?? runningServer(this.home)
    if (info === null) {
      if (!this.autoStart) {
        throw new CliError(
          EXIT.unreachable,
          'unreachable',
          `Taskdeck is not running for ${this.home}. Start it with \`taskdeck daemon\` (or \`taskdeck serve\`), or pass --auto-start.`,
        )
      }
      info = await startDaemon(this.home, undefined)
    }
    this.client = new ApiClient(info)
    return this.client
  }

  /** Prints a command's result: its JSON with --json, else the human text (if any). */
  print(value: unknown, human: () => string | null): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify(value)}\n`)
      return
    }
    const text = human()
    if (text !== null && text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  close(): void {
    this.client?.close()
  }
}
