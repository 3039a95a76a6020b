/**
 * What `npm test` promises a user who runs it beside a demo: their stack and workers are left as
 * they were found. Pure: compares two readings of the stack's status (service name, state, pid)
 * and names every difference a user would notice.
 */
export interface ServiceReading {
  readonly name: string
  readonly state: 'up' | 'starting' | 'down'
  readonly pid?: number
}

/** The differences between `before` and `after`, one sentence each; empty when none. */
export function stackDisturbances(before: readonly ServiceReading[], after: readonly ServiceReading[]): string[] {
  const now = new Map(after.map((s) => [s.name, s]))
  const out: string[] = []
  for (const b of before) {
    const a = now.get(b.name)
    if (!a) continue
    // The same process that is slow to answer a health check (a loaded machine) is still the
    // user's: only a process gone or replaced, or a service no longer answering at all, counts.
    if (b.state === 'up' && b.pid !== undefined && a.pid !== undefined && a.pid !== b.pid) out.push(`${b.name} was restarted (pid ${b.pid}, now ${a.pid})`)
    else if (b.state === 'up' && a.pid === undefined && a.state !== 'up') out.push(`${b.name} was up${b.pid ? ` (pid ${b.pid})` : ''} and is ${a.state} now`)
    else if (b.state === 'down' && a.state !== 'down') out.push(`${b.name} was down and is ${a.state} now${a.pid ? ` (pid ${a.pid}): a test left it behind` : ''}`)
  }
  return out
}
