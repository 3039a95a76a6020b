/**
 * Hybrid queries as the story shows them: the trades of a range by where they came from (the
 * committed lake or the Kafka tail), the boundary between the two, and how fresh the newest
 * trade a query sees is. Reads through the query engine; the tables are pure.
 */
import { recentTrades } from '../query/market-analytics'
import type { QueryEngine, QueryResult, ReadBoundary } from '../query/index'
import type { Sleep } from './story-stack'

/** Trades of one side of the hybrid read: `lake` or `kafka`. */
export type SourceRow = { readonly source: string; readonly trades: bigint; readonly oldest: Date; readonly newest: Date }

/**
 * The trades since `since` counted by `_source` (lake or kafka), with the read's boundary: the
 * pinned snapshot and the tail offsets read past it.
 */
export async function tradesBySource(engine: Pick<QueryEngine, 'query'>, since: Date): Promise<{ readonly rows: SourceRow[]; readonly boundary: ReadBoundary | undefined }> {
  const r: QueryResult<SourceRow> = await engine.query<SourceRow>(
    `SELECT _source AS source, count(*) AS trades, min(event_time) AS oldest, max(event_time) AS newest
       FROM trades WHERE event_time >= $since GROUP BY _source ORDER BY _source`,
    { params: { since } },
  )
  return { rows: r.rows, boundary: r.boundaries.trades }
}

/** `snapshot 42 of market.trades (committed …): 12 files read, 3 pruned`. */
export function boundaryLine(b: ReadBoundary | undefined): string {
  if (!b) return 'the query read no trades table'
  const committed = b.snapshotTimestampMs === undefined ? 'no snapshot yet' : `committed ${new Date(b.snapshotTimestampMs).toISOString()}`
  return `snapshot ${b.snapshotId ?? 'none'} of ${b.table} (${committed}): ${b.filesScanned} files read, ${b.filesPruned} pruned`
}

/** Per partition of the hot topic: where the snapshot's records end, where the tail read stopped, and the records between. */
export function boundaryRows(b: ReadBoundary | undefined): Array<{ readonly partition: number; readonly 'snapshot holds below': bigint; readonly 'tail read up to': bigint; readonly 'tail records': number }> {
  const tail = b?.tail
  if (!tail) return []
  return Object.keys(tail.from).map(Number).map((p) => {
    const from = tail.from[p] ?? 0n
    const upTo = tail.to[p] ?? from
    return { partition: p, 'snapshot holds below': from, 'tail read up to': upTo, 'tail records': Number(upTo - from) }
  })
}

/** One freshness read: the newest trade's age and the query's time, ms. */
export type FreshnessSample = { readonly query: number; readonly ageMs: number; readonly queryMs: number }

/** Asks `samples` times, half a second apart, for `symbol`'s newest trade through lake + tail: its age and the query's time. */
export async function sampleFreshness(engine: Pick<QueryEngine, 'query'>, symbol: string, options: { readonly samples: number; readonly sleep?: Sleep }): Promise<FreshnessSample[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const out: FreshnessSample[] = []
  for (let i = 0; i < options.samples; i++) {
    const r = await recentTrades(engine, { symbol, minutes: 5, limit: 1 })
    const newest = r.rows[0]
    if (newest) out.push({ query: i + 1, ageMs: Date.now() - newest.eventTime.getTime(), queryMs: Math.round(r.timings.totalMs) })
    if (i < options.samples - 1) await sleep(500)
  }
  return out
}

/** The freshness reads as a table. */
export function freshnessRows(samples: readonly FreshnessSample[]): Array<{ readonly query: number; readonly 'newest trade age (ms)': number; readonly 'query time (ms)': number }> {
  return samples.map((f) => ({ query: f.query, 'newest trade age (ms)': f.ageMs, 'query time (ms)': f.queryMs }))
}
