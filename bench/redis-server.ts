import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../test/support/net.ts'

export interface LocalRedis {
  readonly host: string
  readonly port: number
  readonly version: string
  /** CPU time redis-server has used so far, ms (Linux: /proc; elsewhere null). */
  cpuMs(): number | null
  stop(): Promise<void>
}

/**
 * Starts Debian's redis-server on a free loopback port in a temp dir, configured the way
 * BullMQ asks for in production (append-only file on, no RDB snapshots, noeviction).
 */
export async function startLocalRedis(): Promise<LocalRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'taskdeck-bench-redis-'))
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  const ready = new Promise<void>((resolvePromise, reject) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk
      if (output.includes('Ready to accept connections')) resolvePromise()
    })
    child.stderr.on('data', (chunk: string) => (output += chunk))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`)))
  })
  try {
    await ready
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const version = /version=([^,\s]+)/.exec(output)?.[1] ?? 'unknown'
  return {
    host: '127.0.0.1',
    port,
    version,
    cpuMs: () => processCpuMs(child.pid),
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}


/** utime + stime of a process from /proc/<pid>/stat, in ms; null where there is no /proc. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat (counted from pid = 1), in clock ticks of 10 ms on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return null
  }
}
