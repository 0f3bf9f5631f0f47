import type { EndReason, ResourceLimits, RunUsage, UsageSample, UsageScope } from '../../src-shared/index.ts'
import type { UsageReading } from './runners/usage.ts'

const MB = 1024 * 1024

/**
 * One run's samples folded as they come: the live figures of each `run.usage` event and the
 * summary kept in `Run.usage` (peak memory, CPU seconds, average CPU). Nothing per sample is
 * kept: the event log gets one summary per run, never a row per second.
 */
export class RunUsageTracker {
  readonly scope: UsageScope
  /** performance.now() when the run started: the average is over the time since. */
  readonly #startedAt: number
  #last: { at: number; cpuMicros: number } | null = null
  #peakBytes = 0
  #samples = 0

  constructor(scope: UsageScope, startedAt = performance.now()) {
    this.scope = scope
    this.#startedAt = startedAt
  }

  /** Folds a reading taken at `at` (performance.now()) and `wallAt` (the engine's clock) into the live sample it makes. */
  add(reading: UsageReading, at: number, wallAt: number): UsageSample {
    const cpuMicros = Math.max(reading.cpuMicros, this.#last?.cpuMicros ?? 0)
    const cpuPercent = this.#last === null || at <= this.#last.at ? null : ((cpuMicros - this.#last.cpuMicros) / 1000 / (at - this.#last.at)) * 100
    this.#last = { at, cpuMicros }
    this.#samples++
    if (reading.memoryBytes !== null) this.#peakBytes = Math.max(this.#peakBytes, reading.memoryBytes)
    return {
      scope: this.scope,
      at: wallAt,
      cpuPercent: cpuPercent === null ? null : round(cpuPercent, 1),
      cpuSeconds: round(cpuMicros / 1e6, 3),
      memoryBytes: reading.memoryBytes,
      ...(reading.processes !== undefined && { processes: reading.processes }),
    }
  }

  /** The summary for `Run.usage`; null before the first sample (a run shorter than the sampling interval is not measured). */
  summary(): RunUsage | null {
    if (this.#last === null) return null
    const seconds = this.#last.cpuMicros / 1e6
    const elapsed = (this.#last.at - this.#startedAt) / 1000
    return {
      scope: this.scope,
      peakMemoryBytes: this.#peakBytes,
      cpuSeconds: round(seconds, 3),
      avgCpuPercent: elapsed > 0 ? round((seconds / elapsed) * 100, 1) : 0,
      samples: this.#samples,
    }
  }
}

/** The limit a sample is over, as the run's end reason; null while within its limits. */
export function limitExceeded(limits: ResourceLimits | undefined, sample: UsageSample): EndReason | null {
  if (!limits) return null
  if (limits.maxMemoryMb !== undefined && sample.memoryBytes !== null && sample.memoryBytes > limits.maxMemoryMb * MB) {
    return { kind: 'memory-limit', usedBytes: sample.memoryBytes, limitBytes: limits.maxMemoryMb * MB }
  }
  if (limits.maxCpuSeconds !== undefined && sample.cpuSeconds > limits.maxCpuSeconds) {
    return { kind: 'cpu-limit', cpuSeconds: sample.cpuSeconds, limitSeconds: limits.maxCpuSeconds }
  }
  return null
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}
