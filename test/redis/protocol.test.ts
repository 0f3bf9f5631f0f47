import { describe, expect, it } from 'vitest'
import { decodeReports, encodeReport, encodeReports } from '../../src-main/engine/backends/redis-protocol.ts'
import type { ReportBody } from '../../src-main/engine/backends/redis-protocol.ts'

/** As XREADGROUP returns them: every field and value a Buffer. */
const asRead = (fields: (string | Buffer)[]) => fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)))

describe('report stream entries', () => {
  it('a packed entry carries a run’s start, output (bytes kept), progress and outcome in order, in six fields', () => {
    const binary = Buffer.from([0xff, 0x00, 0x72, 0x0a])
    const reports: ReportBody[] = [
      { kind: 'started', worker: 'host:1:a', pid: null },
      { kind: 'out', stream: 'stdout', data: binary },
      { kind: 'out', stream: 'stderr', data: Buffer.from('r\n') },
      { kind: 'progress', progress: { done: 1, total: 2 } },
      { kind: 'finished', outcome: { exitCode: 0, signal: null, failure: { kind: 'exited', code: 3, commandNotFound: false }, endedBy: null, worker: 'host:1:a', result: { ok: true } } },
    ]
    const fields = encodeReports('run.s.1', reports)
    expect(fields.slice(0, 5)).toEqual(['k', 'pack', 'j', 'run.s.1', 'd'])
    expect(fields).toHaveLength(6)
    const decoded = decodeReports(asRead(fields))
    expect(decoded).toEqual(reports.map((r) => ({ ...r, jobId: 'run.s.1' })))
    expect(Buffer.compare((decoded[1] as { data: Buffer }).data, binary)).toBe(0)
    const withPid = decodeReports(asRead(encodeReports('run.s.1', [{ kind: 'started', worker: 'w', pid: 4242 }, { kind: 'lost', loss: { kind: 'lock-expired', noticedBy: 'w2' } }])))
    expect(withPid[0]).toEqual({ kind: 'started', jobId: 'run.s.1', worker: 'w', pid: 4242 })
  })

  it('skips packed records of unknown types and a truncated last record', () => {
    const [, , , , , packed] = encodeReports('run.s.5', [
      { kind: 'lost', loss: 'first' },
      { kind: 'lost', loss: { kind: 'job-gone' } },
    ]) as [string, string, string, string, string, Buffer]
    const unknown = Buffer.from(packed)
    unknown[0] = 99
    expect(decodeReports(asRead(['k', 'pack', 'j', 'run.s.5', 'd', unknown]))).toEqual([{ kind: 'lost', jobId: 'run.s.5', loss: { kind: 'job-gone' } }])
    // The truncated record is the loss as data: the English before it remains.
    const truncated = packed.subarray(0, packed.length - 2)
    expect(decodeReports(asRead(['k', 'pack', 'j', 'run.s.5', 'd', truncated]))).toEqual([
      { kind: 'lost', jobId: 'run.s.5', loss: 'first' },
      { kind: 'lost', jobId: 'run.s.5', loss: 'its BullMQ job is gone from Redis (removed by someone else, or Redis lost data)' },
    ])
  })

  it('a packed loss is English in its lost record (what earlier apps read), its data in a record they skip', () => {
    const loss = { kind: 'lock-expired', noticedBy: 'w2' } as const
    const [, , , , , packed] = encodeReports('run.s.7', [{ kind: 'started', worker: 'w', pid: 1 }, { kind: 'lost', loss }]) as [string, string, string, string, string, Buffer]
    const types: number[] = []
    for (let at = 0; at < packed.length; at += 5 + packed.readUInt32BE(at + 1)) types.push(packed[at]!)
    expect(types).toEqual([1, 5, 6])
    const lostAt = 5 + packed.readUInt32BE(1)
    expect(packed.toString('utf8', lostAt + 5, lostAt + 5 + packed.readUInt32BE(lostAt + 1))).toMatch(/^its lock expired .*noticed by w2$/)
    expect(decodeReports(asRead(['k', 'pack', 'j', 'run.s.7', 'd', packed]))[1]).toEqual({ kind: 'lost', jobId: 'run.s.7', loss })
  })

  it('still reads batch entries written by earlier workers', () => {
    // Without `failure`: earlier workers sent the failure as an English sentence only.
    const outcome = { exitCode: null, signal: null, error: 'boom', endedBy: null, worker: 'host:1:a' }
    const fields = ['k', 'batch', 'j', 'run.s.6', 'r', 'started', 'w', 'host:1:a', 'p', '', 'r', 'out', 's', 'stdout', 'd', 'hi\n', 'r', 'finished', 'd', JSON.stringify(outcome)]
    expect(decodeReports(asRead(fields))).toEqual([
      { kind: 'started', jobId: 'run.s.6', worker: 'host:1:a', pid: null },
      { kind: 'out', jobId: 'run.s.6', stream: 'stdout', data: Buffer.from('hi\n') },
      { kind: 'finished', jobId: 'run.s.6', outcome: { exitCode: null, signal: null, failure: { kind: 'message', text: 'boom' }, endedBy: null, worker: 'host:1:a' } },
    ])
  })

  it('a single report stays a plain entry, and entries of unknown kinds are skipped', () => {
    const single = encodeReports('run.s.2', [{ kind: 'lost', loss: 'lock expired' }])
    expect(single).toEqual(encodeReport({ kind: 'lost', jobId: 'run.s.2', loss: 'lock expired' }))
    expect(decodeReports(asRead(single))).toEqual([{ kind: 'lost', jobId: 'run.s.2', loss: 'lock expired' }])
    expect(decodeReports(asRead(['k', 'future', 'j', 'run.s.3', 'x', 'y']))).toEqual([])
    const mixed = asRead(['k', 'batch', 'j', 'run.s.4', 'r', 'future', 'x', 'y', 'r', 'lost', 'd', 'gone'])
    expect(decodeReports(mixed)).toEqual([{ kind: 'lost', jobId: 'run.s.4', loss: 'gone' }])
  })
})
