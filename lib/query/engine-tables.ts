import type { LoadedTable } from '../iceberg/catalog-rest'
import { currentSnapshot } from '../iceberg/table-metadata'
import { quotesTable, tradesTable, type TableDesign } from '../iceberg/table-design'
import { latestTradesTable, partialLatestSql } from '../rollup/latest-trades'
import { minuteBarsTable, partialBarsSql } from '../rollup/minute-bars'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import { engineTables, type EngineTable, type QueryEngineOptions } from './engine-types'
import type { KafkaTail } from './kafka-tail'
import type { LatestSpec } from './latest-index'

/**
 * A table the rollup keeps of another's rows (docs/decisions.md, D74). Its snapshots hold the
 * source's records below their offsets, as partial rows; in hybrid reads the source topic's tail
 * past those offsets is aggregated the same way at query time. Its metadata is reloaded at most
 * every `derivedRefreshMs`: its offsets only bound what the tail keeps.
 */
export interface DerivedTable {
  readonly from: EngineTable
  readonly design: TableDesign<unknown>
  /** The partial rows of source rows in `relation` (split by `keys`, which lead each row), in the table's column order. */
  readonly tailSql: (relation: string, keys?: readonly string[]) => string
  /** For a rollup of the latest row per key: the index the engine keeps of it in memory (D91). */
  readonly latest?: LatestSpec
}

const derivedTables: Readonly<Partial<Record<EngineTable, DerivedTable>>> = {
  bars_1m: { from: 'trades', design: minuteBarsTable as unknown as TableDesign<unknown>, tailSql: partialBarsSql },
  trades_latest: {
    from: 'trades',
    design: latestTradesTable as unknown as TableDesign<unknown>,
    tailSql: partialLatestSql,
    latest: { key: 'symbol', order: 'trade_id', time: 'event_time', fields: latestTradesTable.schema.fields.map((f) => f.name) },
  },
}

/** The time of a market table's rows (trades and quotes): their partitions, sort order and the engine's minute slices (D93) go by it. */
export const marketTimeColumn = 'event_time'

/** How long a rollup's loaded metadata serves before it is reloaded. */
export const derivedRefreshMs = 5_000

/** What the engine knows of one table: its names and topics, and the metadata and offsets last loaded. */
export interface TableState {
  readonly name: EngineTable
  readonly icebergName: string
  readonly design: TableDesign<unknown>
  readonly derived: DerivedTable | undefined
  readonly topic: string | undefined
  readonly deferredTopic: string | undefined
  /** The table at its current snapshot only (`snapshots=refs`): time travel loads the whole history. */
  loaded: LoadedTable | undefined
  /** Offsets the table holds per topic at `loaded`'s current snapshot, set with it. */
  offsets: ReadonlyMap<string, SnapshotOffsets>
  loadedAt: number
}

/** The offsets of a snapshot a running query reads a topic's tail from. */
export interface Pin {
  readonly topic: string
  readonly offsets: SnapshotOffsets
}

/** The state of every engine table, nothing loaded yet: names, designs and topics from the options. */
export function createTableStates(options: Pick<QueryEngineOptions, 'tables' | 'topics'>): Map<EngineTable, TableState> {
  const tables = new Map<EngineTable, TableState>()
  for (const name of engineTables) {
    const derived = derivedTables[name]
    const market = derived?.from ?? name
    const design = derived?.design ?? ((market === 'trades' ? tradesTable : quotesTable) as unknown as TableDesign<unknown>)
    const topic = market === 'trades' ? options.topics?.trades : market === 'quotes' ? options.topics?.quotes : undefined
    const deferredTopic = market === 'trades' ? options.topics?.deferredTrades : options.topics?.deferredQuotes
    tables.set(name, { name, icebergName: options.tables?.[name] ?? design.name, design, derived, topic, deferredTopic, loaded: undefined, offsets: new Map(), loadedAt: 0 })
  }
  return tables
}

/** Which tables' records the tail keeps, and from where. */
export interface TableKeeping {
  /** Whether the tail keeps `t`'s records: a market table always, a rollup while it lags its source by at most maxRollupLag per topic. */
  keptFor(t: TableState): boolean
  /** Per topic, the lowest offsets of the tables the tail keeps records for. */
  keptFrom(topic: string): Map<number, bigint>
  /** Whether the tail still holds every record from a rollup's offsets (it exists, and reads were kept for it). */
  tailHolds(t: TableState, tail: Pick<KafkaTail, 'positions'> | undefined): boolean
}

/** Keeping over the tables' current state (read at each call: loads replace it). */
export function tableKeeping(tables: ReadonlyMap<EngineTable, TableState>, maxRollupLag: bigint): TableKeeping {
  const keptFor = (t: TableState): boolean => {
    if (!t.derived) return true
    const source = tables.get(t.derived.from)!
    return t.loaded !== undefined && topicsOf(t).every((topic) => lagRecords(source.offsets.get(topic) ?? new Map(), t.offsets.get(topic) ?? new Map()) <= maxRollupLag)
  }
  const keptFrom = (topic: string): Map<number, bigint> =>
    lowestOffsets([...tables.values()].filter((t) => topicsOf(t).includes(topic) && keptFor(t)).map((t) => t.offsets.get(topic) ?? new Map()))
  const tailHolds = (t: TableState, tail: Pick<KafkaTail, 'positions'> | undefined): boolean => {
    if (!tail || !t.loaded || !currentSnapshot(t.loaded.metadata)) return false
    return topicsOf(t).every((topic) => {
      const kept = tail.positions(topic).kept
      const from = t.offsets.get(topic) ?? new Map<number, bigint>()
      return [...kept].every(([p, k]) => (from.get(p) ?? 0n) >= k)
    })
  }
  return { keptFor, keptFrom, tailHolds }
}

/** Records between `to` and `from` (`to` ahead), summed over partitions; a partition `from` lacks counts from 0. */
export function lagRecords(to: SnapshotOffsets, from: SnapshotOffsets): bigint {
  let n = 0n
  for (const [p, o] of to) {
    const d = o - (from.get(p) ?? 0n)
    if (d > 0n) n += d
  }
  return n
}

/** Per partition, the lowest of `offsets` (a partition one of them lacks is at 0 there). */
export function lowestOffsets(offsets: readonly SnapshotOffsets[]): Map<number, bigint> {
  const out = new Map<number, bigint>()
  const partitions = new Set(offsets.flatMap((o) => [...o.keys()]))
  for (const p of partitions) out.set(p, offsets.reduce((lo, o) => { const v = o.get(p) ?? 0n; return v < lo ? v : lo }, offsets[0]?.get(p) ?? 0n))
  return out
}

/** The topics whose tail a table reads: its hot topic, then its deferred one. */
export function topicsOf(t: { readonly topic: string | undefined; readonly deferredTopic: string | undefined }): string[] {
  return t.topic === undefined ? [] : t.deferredTopic === undefined ? [t.topic] : [t.topic, t.deferredTopic]
}
