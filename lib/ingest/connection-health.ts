/**
 * Whether every connection of the feed is open: the `k2_ingest_connected` gauge. Pure.
 *
 * The streams are spread over several connections (connection-plan.ts), each rolled before its
 * age limit and reconnected on its own. The feed counts as connected only while every group has
 * an open connection: one group down means its symbols are not being read, even if the others
 * are. A roll opens the replacement before the old connection goes, so the old one's end is no
 * outage.
 */
export interface ConnectionHealth {
  /** A group's connection opened; returns the gauge value (1 when every group is open). */
  opened(group: number): 0 | 1
  /** A group's connection ended; returns the gauge value, or undefined when it stays (a roll). */
  closed(group: number, cause: string): 0 | undefined
}

/** Every group starts down: the gauge reads 1 only once each has opened. */
export function createConnectionHealth(groups: number): ConnectionHealth {
  const down = new Set<number>()
  for (let g = 0; g < groups; g++) down.add(g)
  return {
    opened(group) {
      down.delete(group)
      return down.size === 0 ? 1 : 0
    },
    closed(group, cause) {
      if (cause === 'rolled') return undefined
      down.add(group)
      return 0
    },
  }
}
