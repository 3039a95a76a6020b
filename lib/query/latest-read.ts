import { BIGINT, DECIMAL, DuckDBDecimalValue, DuckDBTimestampTZValue, TIMESTAMPTZ, VARCHAR, type DuckDBType, type DuckDBValue } from '@duckdb/node-api'
import { errorMessage } from '../errors/index'
import { quoteIdent } from '../iceberg/duckdb-sql'
import { gte } from '../iceberg/scan-filter'
import { parsePrimitiveType } from '../iceberg/single-value'
import type { NestedField } from '../iceberg/spec-types'
import { currentSnapshot } from '../iceberg/table-metadata'
import type { HighWaterMarks } from '../kafka/high-water-marks'
import type { Logger } from '../logger/index'
import { Timestamp, microsOf } from '../market/timestamp'
import type { Metrics } from '../metrics/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import { topicsOf, type TableState } from './engine-tables'
import type { EngineTable, LatestIndexRequest, QueryOptions, QueryResult, ReadBoundary, TailRead } from './engine-types'
import type { KafkaTail } from './kafka-tail'
import { answerLatest, type LatestEntry, type LatestSpec } from './latest-index'
import { arrowTableOf, type QueryRow } from './query-result'
import { readEnds, topicMarks } from './query-run'

/**
 * The engine's in-memory index of a latest-row rollup (`trades_latest`; latest-index.ts, D91).
 * Its lake part is read from the rollup's current snapshot after each refresh that moved it (one
 * aggregation over the rollup's partial rows of the last `lakeDays`); its tail part is what the
 * Kafka tail noted of the records past that snapshot. A read takes the topics' high-water marks
 * as every hybrid query does, waits for the tail to reach them, and answers from the two parts
 * without planning a query; where the index cannot answer exactly it says so (undefined) and the
 * caller runs its SQL.
 */
export interface LatestIndexes {
  /** Reads the lake part of each indexed rollup again when its snapshot moved (after a refresh). */
  refresh(): Promise<void>
  /** The latest row per key in [from, to), or undefined when the index cannot answer it exactly now. */
  read<T extends QueryRow = QueryRow>(request: LatestIndexRequest): Promise<QueryResult<T> | undefined>
}

export interface LatestIndexDeps {
  readonly namespace: string
  readonly tables: ReadonlyMap<EngineTable, TableState>
  readonly tail: KafkaTail | undefined
  readonly marks: HighWaterMarks | undefined
  /** The engine's own query (the lake part is read through it, without the tail). */
  readonly query: (sql: string, options: QueryOptions) => Promise<QueryResult>
  readonly metrics: Metrics | undefined
  readonly log: Logger
  /** How far back the lake part reaches, in days (default 7): a read further back runs the SQL. */
  readonly lakeDays?: number
}

/** The lake part: the rollup's rows at one snapshot, per key. */
interface LakePart {
  readonly uuid: string
  readonly snapshotId: bigint
  readonly snapshotTimestampMs: number
  readonly offsets: ReadonlyMap<string, SnapshotOffsets>
  /** Rows from this time on (µs) are all in `entries`. */
  readonly sinceUs: bigint
  readonly entries: readonly LatestEntry[]
}

export function createLatestIndexes(deps: LatestIndexDeps): LatestIndexes {
  const { tables, tail, marks } = deps
  const lakeMs = (deps.lakeDays ?? 7) * 86_400_000
  const parts = new Map<EngineTable, LakePart>()
  const indexed = [...tables.values()].filter((t) => t.derived?.latest !== undefined)
  /** Per indexed table, once: how each kept field becomes a row value and a result column. */
  const codecs = new Map(indexed.map((t) => [t.name, t.derived!.latest!.fields.map((f) => fieldCodec(t.design.schema.fields.find((x) => x.name === f)!))]))

  const build = async (t: TableState, spec: LatestSpec): Promise<void> => {
    const meta = t.loaded?.metadata
    const snap = meta ? currentSnapshot(meta) : undefined
    if (!meta || !snap) return void parts.delete(t.name)
    const held = parts.get(t.name)
    if (held && held.snapshotId === snap['snapshot-id'] && held.uuid === meta['table-uuid']) return
    const offsets = t.offsets
    const since = new Date(Date.now() - lakeMs)
    const r = await deps.query(lakePartSql(t.name, spec), { kind: 'latest_index_build', params: { since }, tables: { [t.name]: { tail: false, filter: gte(spec.time, since) } } })
    // Reloaded meanwhile: the next refresh reads the newer snapshot.
    if (r.boundaries[t.name]?.snapshotId !== snap['snapshot-id']) return
    const entries = r.rows.map((row) => ({
      key: String(row._key),
      order: BigInt(row._order as bigint),
      timeUs: BigInt(row._time_us as bigint),
      maxTimeUs: BigInt(row._max_time_us as bigint),
      values: spec.fields.map((f) => (row[f] instanceof Date ? microsOf(row[f] as Date) : row[f])),
    }))
    parts.set(t.name, { uuid: meta['table-uuid'], snapshotId: snap['snapshot-id'], snapshotTimestampMs: snap['timestamp-ms'], offsets, sinceUs: microsOf(since), entries })
  }

  return {
    async refresh() {
      if (!tail) return
      for (const t of indexed) {
        try {
          await build(t, t.derived!.latest!)
        } catch (err) {
          deps.log.warn('reading the lake part of the latest index failed; latest reads run their SQL until it is read', { table: t.name, error: errorMessage(err) })
        }
      }
    },
    async read<T extends QueryRow>(request: LatestIndexRequest): Promise<QueryResult<T> | undefined> {
      const started = performance.now()
      const t = tables.get(request.table)
      const spec = t?.derived?.latest
      const part = parts.get(request.table)
      const meta = t?.loaded?.metadata
      const snap = meta ? currentSnapshot(meta) : undefined
      if (!t || !spec || !part || !tail || !marks || !snap || part.snapshotId !== snap['snapshot-id'] || part.uuid !== meta!['table-uuid']) return undefined
      const range = { fromUs: microsOf(request.from), toUs: microsOf(request.to) }
      if (range.fromUs < part.sinceUs) return undefined
      const topics = topicsOf(t)
      const keepers = topics.map((topic) => tail.latestOf(topic))
      if (keepers.some((k) => k === undefined)) return undefined
      // The topics' high-water marks at the read's start, as a hybrid query takes them; then the
      // tail must have taken every record below them.
      const ends = await Promise.all(topics.map((topic) => topicMarks(marks, topic)))
      const tailStart = performance.now()
      for (const [i, topic] of topics.entries()) if (!tail.reached(topic, ends[i]!)) await tail.waitFor(topic, ends[i]!, request.timeoutMs ?? 30_000)
      const tailMs = performance.now() - tailStart
      const from = topics.map((topic) => part.offsets.get(topic) ?? new Map<number, bigint>())
      if (!keepers.every((k, i) => k!.notesFrom(from[i]!))) return undefined
      const execStart = performance.now()
      const answer = answerLatest([part.entries, ...keepers.map((k) => k!.entries())], range, request.keys ? new Set(request.keys) : undefined)
      if (!answer) return undefined
      const reads: TailRead[] = topics.map((topic, i) => ({
        topic,
        from: Object.fromEntries(from[i]!),
        to: Object.fromEntries(readEnds(from[i]!, ends[i]!)),
        records: tail.count(topic, from[i]!, ends[i]!),
      }))
      const boundary: ReadBoundary = {
        table: `${deps.namespace}.${t.icebergName}`,
        snapshotId: part.snapshotId,
        snapshotTimestampMs: part.snapshotTimestampMs,
        filesScanned: 0,
        filesPruned: 0,
        lakeRecords: 0n,
        files: [],
        index: { keys: answer.length },
        ...(reads[0] ? { tail: reads[0] } : {}),
        ...(reads[1] ? { deferredTail: reads[1] } : {}),
      }
      const result = resultOf<T>(answer, codecs.get(request.table)!, request.names ?? {}, { [request.table]: boundary }, { planMs: 0, tailMs, executeMs: performance.now() - execStart, totalMs: performance.now() - started })
      deps.metrics?.get('queryTailReads').labels('index').inc()
      return result
    },
  }
}

/** Per key of the rollup: the row with the highest order (its fields), the order, and the times (µs) of that row and the latest row. */
function lakePartSql(table: string, spec: LatestSpec): string {
  const [key, order, time] = [quoteIdent(spec.key), quoteIdent(spec.order), quoteIdent(spec.time)]
  const fields = spec.fields.map((f) => `arg_max(${quoteIdent(f)}, ${order}) AS ${quoteIdent(f)}`)
  return `SELECT ${key} AS _key, max(${order}) AS _order, epoch_us(arg_max(${time}, ${order})) AS _time_us, epoch_us(max(${time})) AS _max_time_us, ${fields.join(', ')}
            FROM ${table} WHERE ${time} >= $since GROUP BY ${key}`
}

/** How a field's indexed value (strings, bigint, µs as bigint, exact decimal text) becomes a row value, and its DuckDB type for the columns and Arrow. */
interface FieldCodec {
  readonly name: string
  readonly type: DuckDBType
  readonly row: (v: unknown) => unknown
  readonly duck: (v: unknown) => DuckDBValue
}

function fieldCodec(field: NestedField): FieldCodec {
  const p = parsePrimitiveType(field.type as string)
  const name = field.name
  switch (p.kind) {
    case 'timestamptz':
      return { name, type: TIMESTAMPTZ, row: (v) => new Timestamp(v as bigint), duck: (v) => new DuckDBTimestampTZValue(v as bigint) }
    case 'long':
      return { name, type: BIGINT, row: (v) => v, duck: (v) => v as bigint }
    case 'decimal':
      return { name, type: DECIMAL(p.precision, p.scale), row: (v) => v, duck: (v) => new DuckDBDecimalValue(BigInt((v as string).replace('.', '')), p.precision, p.scale) }
    default:
      return { name, type: VARCHAR, row: (v) => v, duck: (v) => v as string }
  }
}

function resultOf<T extends QueryRow>(
  entries: readonly LatestEntry[],
  codecs: readonly FieldCodec[],
  names: Readonly<Record<string, string>>,
  boundaries: QueryResult['boundaries'],
  timings: QueryResult['timings'],
): QueryResult<T> {
  const columnNames = codecs.map((c) => names[c.name] ?? c.name)
  const rows = entries.map((e) => Object.fromEntries(columnNames.map((n, j) => [n, e.values[j] === null ? null : codecs[j]!.row(e.values[j])]))) as T[]
  return {
    rows,
    columns: columnNames.map((name, j) => ({ name, type: codecs[j]!.type.toString() })),
    truncated: false,
    boundaries,
    timings,
    toArrow: () =>
      arrowTableOf(
        columnNames,
        codecs.map((c) => c.type),
        codecs.map((c, j) => entries.map((e) => (e.values[j] === null ? null : c.duck(e.values[j])))),
        entries.length,
      ),
  }
}
