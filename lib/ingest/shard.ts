import { ErrorCode, WorkbenchError } from '../errors/index'

/**
 * Ingest shards: `K2_INGEST_SHARD=i/n` runs shard i of n, which ingests the symbols a stable hash
 * assigns to it. Pure.
 *
 * Each shard is its own process with its own transactional id, so shards never fence one
 * another; they share the checkpoint topic, which is keyed by symbol and so holds each shard's
 * symbols apart. The hash is FNV-1a (32-bit) over the symbol's UTF-8 bytes: the same on every
 * machine and Node version, so a symbol stays with its shard across restarts. Changing n moves
 * symbols between shards: stop every shard first (a shard of the old count still running could
 * write a symbol its new owner writes too), then start the new set; each new owner resumes a
 * moved symbol from its checkpoint.
 */
/** An ingest process's share of the symbols (K2_INGEST_SHARD). */
export interface IngestShard {
  readonly index: number
  readonly count: number
}

/** The whole feed in one process. */
export const wholeFeed: IngestShard = { index: 0, count: 1 }

/** `i/n` (0 ≤ i < n ≤ 1024) → the shard; CONFIG_INVALID otherwise. */
export function parseShard(text: string): IngestShard {
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text)
  const index = m ? Number(m[1]) : NaN
  const count = m ? Number(m[2]) : NaN
  if (!m || !(count >= 1 && count <= 1024) || !(index < count)) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `K2_INGEST_SHARD=${JSON.stringify(text)}: give i/n with 0 ≤ i < n ≤ 1024, e.g. 0/2 and 1/2 for two shards`)
  }
  return { index, count }
}

/** FNV-1a, 32-bit, over UTF-8 bytes. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** The shard a symbol belongs to, of `count`. */
export function shardOfSymbol(symbol: string, count: number): number {
  return count <= 1 ? 0 : fnv1a32(symbol) % count
}

/** The symbols of `shard`, in the order given. */
export function symbolsOfShard(symbols: readonly string[], shard: IngestShard): string[] {
  return symbols.filter((s) => shardOfSymbol(s, shard.count) === shard.index)
}

/** The shard's transactional id: the whole feed keeps `base` (so an existing deployment keeps fencing its old producer). */
export function shardTransactionalId(base: string, shard: IngestShard): string {
  return shard.count === 1 ? base : `${base}.shard-${shard.index}-of-${shard.count}`
}

/** `0/2`, for logs and metric labels (bounded: n ≤ 1024). */
export function shardName(shard: IngestShard): string {
  return `${shard.index}/${shard.count}`
}
