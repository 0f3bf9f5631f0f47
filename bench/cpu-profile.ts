/** A Chromium CPU profile (CDP `Profiler.stop`) read for where the time went: bench/ui-profile.ts, and `node bench/ui.ts --ramp --profile`. */
interface ProfileNode {
  id: number
  children?: number[]
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
export interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export function topSelf(profile: Profile, limit = 25): string {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!)!
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    total += dt
    const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + dt)
  }
  // Inclusive time of each function (counted once per sample however deep it recurses).
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inclusive = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    const seen = new Set<string>()
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = byNode.get(id)!.callFrame
      if (!f.url) continue
      seen.add(`${f.functionName || '(anonymous)'} :${f.lineNumber + 1}`)
    }
    for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + dt)
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit)
  const incl = [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45)
  return [
    'inclusive:',
    ...incl.map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${k}`),
    'self:',`total ${total.toFixed(0)} ms`, ...rows.map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`)].join('\n')
}
