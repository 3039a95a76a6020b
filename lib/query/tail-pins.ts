import type { Metrics } from '../metrics/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import { topicsOf, type Pin, type TableState } from './engine-tables'
import type { EngineTable } from './engine-types'
import type { KafkaTail } from './kafka-tail'

/**
 * Pins: offsets of snapshots running queries read; the tail keeps everything from the lowest.
 * A query pins before its first await and unpins when it ends; trims go no further than a pin.
 */
export interface TailPins {
  /** Pins `offsets` of `topic` until `unpin`. */
  pin(topic: string, offsets: SnapshotOffsets): Pin
  unpin(pins: readonly Pin[]): void
  /** Trims every market table's topics to where the lake and the pins allow (nothing without a tail). */
  trim(): Promise<void>
}

export function createTailPins(
  tail: KafkaTail | undefined,
  tables: ReadonlyMap<EngineTable, TableState>,
  keptFrom: (topic: string) => Map<number, bigint>,
  metrics: Metrics | undefined,
): TailPins {
  const pins = new Set<Pin>()
  return {
    pin(topic, offsets) {
      const pin: Pin = { topic, offsets }
      pins.add(pin)
      return pin
    },
    unpin(held) {
      for (const pin of held) pins.delete(pin)
    },
    async trim() {
      if (!tail) return
      for (const t of tables.values()) {
        if (!t.loaded || t.derived) continue
        for (const topic of topicsOf(t)) {
          const target = trimTarget(keptFrom(topic), [...pins].filter((pin) => pin.topic === topic).map((pin) => pin.offsets))
          await tail.trim(topic, target)
          if (metrics) {
            const { next, kept } = tail.positions(topic)
            let n = 0n
            for (const [p, o] of next) n += o - (kept.get(p) ?? 0n)
            metrics.get('queryTailKept').labels(topic).set(Number(n))
          }
        }
      }
    },
  }
}

/**
 * Where the tail of a topic can be trimmed to: the current snapshot's offsets, lowered to those
 * of any snapshot a running query pinned (a partition a pin does not name is pinned at 0).
 */
export function trimTarget(current: SnapshotOffsets, pinned: readonly SnapshotOffsets[]): Map<number, bigint> {
  const target = new Map(current)
  for (const pin of pinned) {
    for (const [p, o] of target) {
      const at = pin.get(p) ?? 0n
      if (at < o) target.set(p, at)
    }
  }
  return target
}
