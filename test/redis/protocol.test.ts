import { describe, expect, it } from 'vitest'
import { decodeReports, encodeReport, encodeReports } from '../../src-main/engine/backends/redis-protocol.ts'
import type { ReportBody } from '../../src-main/engine/backends/redis-protocol.ts'

/** As XREADGROUP returns them: every field and value a Buffer. */
const asRead = (fields: (string | Buffer)[]) => fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)))

describe('report stream entries', () => {
  it('a batch entry carries a run’s start, output (bytes kept), progress and outcome in order', () => {
    const binary = Buffer.from([0xff, 0x00, 0x72, 0x0a])
    const reports: ReportBody[] = [
      { kind: 'started', worker: 'host:1:a', pid: null },
      { kind: 'out', stream: 'stdout', data: binary },
      { kind: 'out', stream: 'stderr', data: Buffer.from('r\n') },
      { kind: 'progress', progress: { done: 1, total: 2 } },
      { kind: 'finished', outcome: { exitCode: 0, signal: null, error: null, endedBy: null, worker: 'host:1:a', result: { ok: true } } },
    ]
    const decoded = decodeReports(asRead(encodeReports('run.s.1', reports)))
    expect(decoded).toEqual(reports.map((r) => ({ ...r, jobId: 'run.s.1' })))
    expect(Buffer.compare((decoded[1] as { data: Buffer }).data, binary)).toBe(0)
  })

  it('a single report stays a plain entry, and entries of unknown kinds are skipped', () => {
    const single = encodeReports('run.s.2', [{ kind: 'lost', reason: 'lock expired' }])
    expect(single).toEqual(encodeReport({ kind: 'lost', jobId: 'run.s.2', reason: 'lock expired' }))
    expect(decodeReports(asRead(single))).toEqual([{ kind: 'lost', jobId: 'run.s.2', reason: 'lock expired' }])
    expect(decodeReports(asRead(['k', 'future', 'j', 'run.s.3', 'x', 'y']))).toEqual([])
    const mixed = asRead(['k', 'batch', 'j', 'run.s.4', 'r', 'future', 'x', 'y', 'r', 'lost', 'd', 'gone'])
    expect(decodeReports(mixed)).toEqual([{ kind: 'lost', jobId: 'run.s.4', reason: 'gone' }])
  })
})
