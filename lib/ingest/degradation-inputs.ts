import type { DegradationLevel, DegradationSignals } from '../degrade/degradation-policy'
import { isShed, tierOf, type SymbolTier } from '../degrade/load-shedder'

/**
 * How the ingest feeds its degradation manager and applies its level. Pure.
 *
 * The ingest judges itself on what only it can see: the worst produce latency since the last
 * sample, its heap and event loop, and (D50) how far behind the exchange's clock it reads while
 * its loop is saturated. The sink's lag and backlog are added by the caller, after these, so a
 * signal both report is the sink's.
 */

/** The signals every process has (processSignals in degradation-manager.ts). */
export type ProcessSignals = Pick<DegradationSignals, 'heapUsedRatio' | 'eventLoopDelayMs' | 'feedLoopUtilization'>

/**
 * One sample of the ingest's own signals. `feedDelaySeconds` answers for a loop utilisation; it is
 * asked only once the utilisation is known (after the warm-up), and absent without an exchange
 * clock: a signal that cannot be measured is left out, never reported as 0.
 */
export function ingestSignals(worstProduceLatencySeconds: number, own: ProcessSignals, feedDelaySeconds?: (loopUtilization: number) => number | undefined): DegradationSignals {
  const produceLatencyMs = worstProduceLatencySeconds * 1000
  const delay = own.feedLoopUtilization === undefined ? undefined : feedDelaySeconds?.(own.feedLoopUtilization)
  return { ...own, ...(delay === undefined ? {} : { feedDelaySeconds: delay }), produceLatencyMs }
}

/**
 * The tier of `symbol` when its records go to `deferredTopic` at `level`, else undefined (they
 * go to the hot topic). Nothing is deferred without a level (no degradation configured) or
 * without a deferred topic for the stream: shedding defers, it never drops.
 */
export function shedTierOf(level: DegradationLevel | undefined, tiers: ReadonlyMap<string, SymbolTier>, symbol: string, deferredTopic: string | undefined): SymbolTier | undefined {
  if (level === undefined || deferredTopic === undefined) return undefined
  return isShed(level, tiers, symbol) ? tierOf(tiers, symbol) : undefined
}
