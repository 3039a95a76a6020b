import { ErrorCode, WorkbenchError } from '../errors/index'
import type { Snapshot, TableMetadata } from '../iceberg/spec-types'
import { ancestorsOf, currentSnapshot } from '../iceberg/table-metadata'
import { summaryOffsetsKey, summaryTopicKey } from '../sink/snapshot-offsets'

/**
 * Which source snapshots a rollup still has to fold in (docs/decisions.md, D74). Pure: metadata in,
 * a plan out.
 *
 * A rollup records in each snapshot it commits the id of the source snapshot it has folded in up
 * to (`k2.rollup.source-snapshot-id`) and the source's Kafka offsets at that snapshot, so the
 * rollup table says by itself which trades it holds, exactly as the trades table does. The next
 * round folds in the data files added by the source's `append` snapshots after that one (the
 * sink's batches and the deferred backfill); `replace` snapshots (compaction, manifest merges)
 * rewrite rows the rollup already holds and add nothing. Any other operation would change rows
 * the rollup has folded in: the rollup stops with an error that says so instead of drifting.
 */

/** The rollup snapshot summary key naming the last source snapshot folded in. */
export const rollupSourceKey = 'k2.rollup.source-snapshot-id'

export type RollupPlan =
  /** The source has nothing the rollup lacks. */
  | { readonly kind: 'current' }
  /** The rollup is empty: fold in every live file of `source` (the source's current snapshot). */
  | { readonly kind: 'all'; readonly source: Snapshot }
  /** Fold in the files added by `appends` (oldest first), ending at `source`. */
  | { readonly kind: 'since'; readonly appends: readonly Snapshot[]; readonly source: Snapshot }

export interface RollupPlanOptions {
  /** At most this many source append snapshots per rollup commit (after downtime, several commits catch up). */
  readonly maxAppends: number
}

/** The source snapshot a rollup snapshot says it holds, or undefined (none yet). */
export function rollupSourceOf(rollup: Snapshot | undefined): bigint | undefined {
  const text = rollup?.summary[rollupSourceKey]
  if (text === undefined) return undefined
  if (!/^-?\d+$/.test(text)) throw new WorkbenchError(ErrorCode.RecordInvalid, `rollup snapshot ${String(rollup!['snapshot-id'])} has a malformed ${rollupSourceKey} ${JSON.stringify(text)}`)
  return BigInt(text)
}

/**
 * The next round's work: the source's snapshots after `folded` (the rollup's source snapshot id,
 * undefined when the rollup is empty), walking back from the source's current snapshot. `meta`
 * must hold the history back to `folded`'s child: a NOT_FOUND error names the gap otherwise (the
 * source's snapshots were expired before the rollup folded them in).
 */
export function planRollup(meta: TableMetadata, folded: bigint | undefined, options: RollupPlanOptions): RollupPlan {
  const current = currentSnapshot(meta)
  if (current === undefined || current['snapshot-id'] === folded) return { kind: 'current' }
  if (folded === undefined) return { kind: 'all', source: current }
  const chain = ancestorsOf(meta, current)
  const at = chain.findIndex((s) => s['parent-snapshot-id'] === folded || s['snapshot-id'] === folded)
  if (at < 0) {
    const oldest = chain[chain.length - 1]!
    throw new WorkbenchError(
      ErrorCode.NotFound,
      `the rollup holds source snapshot ${folded}, which is not an ancestor of ${meta.location}'s current snapshot within its history (it reaches back to ${oldest['snapshot-id']}, committed ${new Date(oldest['timestamp-ms']).toISOString()}): the snapshots in between were expired or the table was rolled back. Rebuild the rollup (drop its table)`,
    )
  }
  const pending = chain.slice(0, chain[at]!['snapshot-id'] === folded ? at : at + 1).reverse()
  const appends: Snapshot[] = []
  let source: Snapshot | undefined
  for (const s of pending) {
    const op = s.summary.operation
    if (op === 'append') {
      if (appends.length === options.maxAppends) break
      appends.push(s)
    } else if (op !== 'replace') {
      throw new WorkbenchError(
        ErrorCode.SchemaIncompatible,
        `source snapshot ${s['snapshot-id']} of ${meta.location} is a ${String(op)}: it changes rows the rollup may already hold, and a rollup of partial bars can only follow appends and rewrites. Rebuild the rollup (drop its table)`,
      )
    }
    source = s
  }
  // Only rewrites since the last fold: nothing to add, and nothing worth a commit.
  if (appends.length === 0 || source === undefined) return { kind: 'current' }
  return { kind: 'since', appends, source }
}

/**
 * The summary a rollup commit records: the source snapshot id, and the source's Kafka offsets at
 * that snapshot (the `k2.kafka.*` keys of its newest ancestor that records them), so readers take
 * the rollup's offsets as they take any table's.
 */
export function rollupSummary(meta: TableMetadata, source: Snapshot): Record<string, string> {
  const out: Record<string, string> = { [rollupSourceKey]: String(source['snapshot-id']) }
  for (const s of ancestorsOf(meta, source)) {
    const keys = Object.entries(s.summary).filter(([k]) => k === summaryTopicKey || k.startsWith(summaryOffsetsKey))
    if (keys.length === 0) continue
    for (const [k, v] of keys) out[k] = v
    break
  }
  return out
}

/**
 * The source snapshots a rollup still needs: the one it holds and every later one (the next round
 * walks back to it). Snapshot expiry on the source keeps those from this `timestamp-ms` on; when
 * the held snapshot was expired already, from its oldest child's. Undefined while the rollup holds
 * nothing (its first round folds the current snapshot, whatever expiry leaves).
 *
 * Not "from the held snapshot's children only": while the rollup is current it has no children
 * yet, and a sink committing faster than the rollup's rounds made `keep` snapshots and more
 * before the next round, which expiry then took, the held one's child included (sink-chaos.test).
 */
export function rollupExpiryFloorMs(meta: TableMetadata, folded: bigint | undefined): number | undefined {
  if (folded === undefined) return undefined
  const held = meta.snapshots.find((s) => s['snapshot-id'] === folded)
  if (held) return held['timestamp-ms']
  const children = meta.snapshots.filter((s) => s['parent-snapshot-id'] === folded)
  return children.length === 0 ? undefined : Math.min(...children.map((s) => s['timestamp-ms']))
}
