import type { DegradationLevel } from './degradation-policy'

/**
 * The load shedder: what each degradation level does, and which symbols it defers. Pure.
 *
 * Symbols are ranked by trailing volume (trades in a sliding window): tier 1 the top 20, tier 2
 * the next 80 (top 100), tier 3 the rest. Shedding defers, never drops: a shed record goes to the
 * deferred topic (in the same Kafka transaction as everything else the ingestor writes) and the
 * sink backfills it into the lake once the level is back to NORMAL. Tier 1 is never shed.
 */

export type SymbolTier = 1 | 2 | 3

/** What a level asks the workers to do. */
export interface LevelActions {
  readonly level: DegradationLevel
  /** Multiply batch sizes and linger by this (fewer, larger Kafka batches and lake commits). */
  readonly batchScale: number
  /** Tiers whose records go to the deferred topic instead of the hot topic. */
  readonly shedTiers: readonly SymbolTier[]
  /** Stop consuming input (back-pressure: the source holds the data; nothing is lost). */
  readonly pause: boolean
  /** The sink may consume the deferred topic (backfill) — only when nothing is being shed. */
  readonly backfill: boolean
}

/**
 * The table of actions:
 * | level         | batches | sheds (deferred) | input  | backfill |
 * | NORMAL        | ×1      | nothing          | flows  | yes      |
 * | SOFT          | ×2      | nothing          | flows  | no       |
 * | GRACEFUL      | ×4      | tier 3           | flows  | no       |
 * | AGGRESSIVE    | ×8      | tiers 2 and 3    | flows  | no       |
 * | CIRCUIT_BREAK | ×8      | tiers 2 and 3    | paused | no       |
 */
export const levelActions: Readonly<Record<DegradationLevel, LevelActions>> = {
  NORMAL: { level: 'NORMAL', batchScale: 1, shedTiers: [], pause: false, backfill: true },
  SOFT: { level: 'SOFT', batchScale: 2, shedTiers: [], pause: false, backfill: false },
  GRACEFUL: { level: 'GRACEFUL', batchScale: 4, shedTiers: [3], pause: false, backfill: false },
  AGGRESSIVE: { level: 'AGGRESSIVE', batchScale: 8, shedTiers: [2, 3], pause: false, backfill: false },
  CIRCUIT_BREAK: { level: 'CIRCUIT_BREAK', batchScale: 8, shedTiers: [2, 3], pause: true, backfill: false },
}

export interface TierPolicy {
  /** Symbols in tier 1 (default 20). */
  readonly tier1: number
  /** Symbols in tiers 1 and 2 together (default 100). */
  readonly tier2: number
}

export const defaultTierPolicy: TierPolicy = { tier1: 20, tier2: 100 }

/**
 * Tiers from trailing volumes: the `tier1` busiest symbols are tier 1, up to `tier2` tier 2, the
 * rest tier 3. Ties break by symbol name so the result is deterministic. Symbols never seen are
 * tier 3 (see `tierOf`).
 */
export function computeTiers(volumes: ReadonlyMap<string, number>, policy: TierPolicy = defaultTierPolicy): Map<string, SymbolTier> {
  const ranked = [...volumes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const tiers = new Map<string, SymbolTier>()
  ranked.forEach(([symbol], i) => tiers.set(symbol, i < policy.tier1 ? 1 : i < policy.tier2 ? 2 : 3))
  return tiers
}

export const tierOf = (tiers: ReadonlyMap<string, SymbolTier>, symbol: string): SymbolTier => tiers.get(symbol) ?? 3

/** True when records of `symbol` are deferred at `level`. */
export function isShed(level: DegradationLevel, tiers: ReadonlyMap<string, SymbolTier>, symbol: string): boolean {
  const shed = levelActions[level].shedTiers
  return shed.length > 0 && shed.includes(tierOf(tiers, symbol))
}

/**
 * Trades per symbol over a sliding window, in fixed buckets (default: 5 minutes in 30 buckets of
 * 10 s), so memory is bounded by symbols × buckets whatever the rate.
 */
export interface VolumeWindow {
  record(symbol: string, count: number, nowMs: number): void
  /** Trades per symbol in the window ending at `nowMs`. */
  volumes(nowMs: number): Map<string, number>
}

export function createVolumeWindow(windowMs = 300_000, buckets = 30): VolumeWindow {
  const width = windowMs / buckets
  const counts = new Map<string, Float64Array>()
  const stamps = new Float64Array(buckets).fill(-1)
  const slot = (nowMs: number): number => {
    const epoch = Math.floor(nowMs / width)
    const i = epoch % buckets
    if (stamps[i] !== epoch) {
      stamps[i] = epoch
      for (const c of counts.values()) c[i] = 0
    }
    return i
  }
  return {
    record(symbol, count, nowMs) {
      const i = slot(nowMs)
      let c = counts.get(symbol)
      if (!c) counts.set(symbol, (c = new Float64Array(buckets)))
      c[i]! += count
    },
    volumes(nowMs) {
      const epoch = Math.floor(nowMs / width)
      const out = new Map<string, number>()
      for (const [symbol, c] of counts) {
        let n = 0
        for (let i = 0; i < buckets; i++) if (stamps[i]! > epoch - buckets && stamps[i]! <= epoch) n += c[i]!
        if (n > 0) out.set(symbol, n)
      }
      return out
    },
  }
}
