/**
 * `npm run bench:layout [-- --trades 3000000] [--rate 180] [--commit-seconds 30] [--runs 15] [--query-budget-s 10] [--keep]`
 *
 * Alternative layouts of market.trades, measured on local files (no catalog, no object store):
 * a seeded synthetic market (seed 7, 160 symbols, Zipf activity) is slowed with `--rate` (book
 * actions per second of market time) so that its trades span hours (3M trades at 180: ~2 h; at
 * 60: ~6 h, but about three times the run time, as writing costs per commit), cut into sink commits of
 * `--commit-seconds` of market time (the sink's K2_SINK_MAX_AGE_MS), and written commit by commit
 * with the sink's own Parquet writer, once per layout. Each layout's files are then compacted per
 * hour and partition with DuckDB. For both the uncompacted and the compacted files, four queries
 * are planned with the reader's pruning (`fileMayMatch` on partition tuples and column bounds)
 * and timed in DuckDB over the files that survive. Writes docs/bench/table-layout.json and
 * docs/bench/table-layout.md.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import {
  fieldIdsClause,
  quoteIdent,
  sqlString,
  bindFilter,
  compareValues,
  createLogger,
  createParquetDataWriter,
  createSeededRandom,
  createSyntheticMarket,
  decodeSingleValue,
  fileMayMatch,
  loadConfig,
  partitionType,
  quantile,
  scanFilter,
  tradesTable,
  transformResultType,
  type DataFile,
  type NestedField,
  type ParquetDataWriter,
  type PartitionFieldType,
  type PartitionSpec,
  type ScanFilter,
  type SortOrder,
  type Trade,
} from '../lib/internal'
import { describeMachine } from './machine'
import { arg, declareArgs, flag } from './bench-kit'

declareArgs({ 'commit-seconds': 'string', 'query-budget-s': 'string', 'rate': 'string', 'runs': 'string', 'trades': 'string', 'keep': 'boolean' })

const microsPerHour = 3_600_000_000
const microsPerMinute = 60_000_000

/** One alternative: the symbol partition field (none, a bucket count, identity) and the sort order. */
interface Layout {
  readonly key: string
  readonly label: string
  readonly spec: PartitionSpec
  readonly sortOrder: SortOrder
}

const dayField = tradesTable.spec.fields[0]!
const symbolId = 2
const timeId = 4
const timeOnly: SortOrder = { 'order-id': 2, fields: [{ transform: 'identity', 'source-id': timeId, direction: 'asc', 'null-order': 'nulls-first' }] }

function layout(key: string, label: string, symbolTransform: string | undefined, sortOrder: SortOrder = tradesTable.sortOrder): Layout {
  const fields = [dayField]
  if (symbolTransform !== undefined) {
    const name = symbolTransform === 'identity' ? 'symbol' : 'symbol_bucket'
    fields.push({ 'source-id': symbolId, 'field-id': 1001, name, transform: symbolTransform })
  }
  return { key, label, spec: { 'spec-id': 0, fields }, sortOrder }
}

const layouts: readonly Layout[] = [
  layout('a', 'day', undefined),
  layout('a-time', 'day, sorted by event_time only', undefined, timeOnly),
  layout('b', 'day + bucket[8](symbol)', 'bucket[8]'),
  layout('c', 'day + bucket[16](symbol) (current)', 'bucket[16]'),
  layout('d', 'day + bucket[32](symbol)', 'bucket[32]'),
  layout('e', 'day + identity(symbol)', 'identity'),
]

/** The generated tape, column by column (3M Trade objects would not fit the default heap). */
interface Tape {
  readonly count: number
  readonly symbols: readonly string[]
  readonly currencies: readonly string[]
  readonly symbolIndex: Uint16Array
  readonly tradeId: Float64Array
  readonly timeMicros: Float64Array
  readonly ingestionMicros: Float64Array
  readonly sellerTook: Uint8Array
  readonly price: string[]
  readonly quantity: string[]
}

function generateTape(trades: number, rate: number): Tape {
  const market = createSyntheticMarket({ seed: 7, actionsPerSecond: rate })
  const symbols = market.instruments.map((i) => i.symbol)
  const indexOf = new Map(symbols.map((s, i) => [s, i]))
  const latency = createSeededRandom(8)
  const tape: Tape = {
    count: trades,
    symbols,
    currencies: market.instruments.map((i) => i.quoteAsset),
    symbolIndex: new Uint16Array(trades),
    tradeId: new Float64Array(trades),
    timeMicros: new Float64Array(trades),
    ingestionMicros: new Float64Array(trades),
    sellerTook: new Uint8Array(trades),
    price: new Array<string>(trades),
    quantity: new Array<string>(trades),
  }
  for (let n = 0; n < trades; ) {
    const e = market.next()
    if (e.kind !== 'trade') continue
    tape.symbolIndex[n] = indexOf.get(e.symbol)!
    tape.tradeId[n] = e.tradeId
    tape.timeMicros[n] = e.timeMicros
    // Received a few hundred µs after the exchange published it.
    tape.ingestionMicros[n] = e.eventTimeMicros + 150 + latency.int(500)
    tape.sellerTook[n] = e.buyerIsMaker ? 1 : 0
    tape.price[n] = e.price
    tape.quantity[n] = e.quantity
    n++
  }
  return tape
}

/** Trade i of the tape as the ingestor would have produced it, as a table row. */
function tradeRow(tape: Tape, i: number): unknown[] {
  const symbol = tape.symbols[tape.symbolIndex[i]!]!
  const tradeId = BigInt(tape.tradeId[i]!)
  const trade: Trade = {
    messageId: `BINANCE:${symbol}:${tradeId}`,
    tradeId,
    symbol,
    exchange: 'BINANCE',
    assetClass: 'crypto',
    timestampMicros: BigInt(tape.timeMicros[i]!),
    price: tape.price[i]!,
    quantity: tape.quantity[i]!,
    currency: tape.currencies[tape.symbolIndex[i]!]!,
    side: tape.sellerTook[i] === 1 ? 'SELL' : 'BUY',
    tradeConditions: [],
    sourceSequence: tradeId,
    ingestionTimestampMicros: BigInt(tape.ingestionMicros[i]!),
    platformSequence: BigInt(i + 1),
    vendorData: {},
  }
  return tradesTable.row(trade)
}

/** Commits as the sink cuts them at steady flow: [start, end) tape ranges, one per window of market time. */
function commitRanges(tape: Tape, commitMicros: number): Array<{ start: number; end: number; hour: number }> {
  const out: Array<{ start: number; end: number; hour: number }> = []
  let start = 0
  for (let i = 1; i <= tape.count; i++) {
    if (i < tape.count && Math.floor(tape.timeMicros[i]! / commitMicros) === Math.floor(tape.timeMicros[start]! / commitMicros)) continue
    out.push({ start, end: i, hour: Math.floor(tape.timeMicros[start]! / microsPerHour) })
    start = i
  }
  return out
}

/** A data file of the benchmark: where it is and its manifest entry (what planning sees). */
interface LayoutFile {
  readonly dataFile: DataFile
  /** Hour (since the epoch) of the commit that wrote it, or of the compacted hour. */
  readonly hour: number
}

interface LayoutRun {
  readonly layout: Layout
  readonly partitionFields: PartitionFieldType[]
  readonly instance: DuckDBInstance
  readonly connection: DuckDBConnection
  readonly writer: ParquetDataWriter
  readonly dir: string
  readonly files: LayoutFile[]
  readonly compacted: LayoutFile[]
  readonly writeMs: number[]
  readonly filesPerCommit: number[]
  readonly compactMsPerHour: number[]
}


const primitiveFields = tradesTable.schema.fields.filter((f): f is NestedField & { type: string } => typeof f.type === 'string')

/** The bounds of the union of files: per column, the least lower and the greatest upper bound (none if a file has none). */
function mergedBounds(files: readonly DataFile[], which: 'lowerBounds' | 'upperBounds'): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>()
  for (const field of primitiveFields) {
    let best: { bytes: Uint8Array; value: ReturnType<typeof decodeSingleValue> } | undefined
    let complete = true
    for (const f of files) {
      const bytes = f[which]?.get(field.id)
      if (bytes === undefined) {
        complete = false
        break
      }
      const value = decodeSingleValue(field.type, bytes)
      const c = best === undefined ? 0 : compareValues(field.type, value, best.value)
      if (best === undefined || (which === 'lowerBounds' ? c < 0 : c > 0)) best = { bytes, value }
    }
    if (complete && best !== undefined) out.set(field.id, best.bytes)
  }
  return out
}

/** DuckDB MAP values come back as `{ entries: [{ key, value }] }`. */
function mapEntries(v: unknown): Array<[unknown, unknown]> {
  const entries = (v as { entries?: Array<{ key: unknown; value: unknown }> } | null)?.entries ?? []
  return entries.map((e) => [e.key, e.value])
}

/** Merges a layout's files per hour and partition into one file each, sorted by the layout's sort order. */
async function compact(run: LayoutRun, rowGroupSize: number): Promise<void> {
  const byName = new Map(tradesTable.schema.fields.map((f) => [f.name, f.id]))
  const order = run.layout.sortOrder.fields.map((f) => quoteIdent(tradesTable.schema.fields.find((c) => c.id === f['source-id'])!.name)).join(', ')
  const groups = new Map<string, LayoutFile[]>()
  for (const f of run.files) {
    const key = `${f.hour}|${JSON.stringify(f.dataFile.partition)}`
    const group = groups.get(key)
    if (group) group.push(f)
    else groups.set(key, [f])
  }
  const msByHour = new Map<number, number>()
  const dir = path.join(run.dir, 'hourly')
  fs.mkdirSync(dir, { recursive: true })
  let n = 0
  for (const group of groups.values()) {
    const hour = group[0]!.hour
    const target = path.join(dir, `${hour}-${n++}.parquet`)
    const list = group.map((f) => sqlString(f.dataFile.filePath)).join(', ')
    const t0 = performance.now()
    const copied = await run.connection.runAndReadAll(
      `COPY (SELECT * FROM read_parquet([${list}]) ORDER BY ${order}) TO ${sqlString(target)} (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2, ROW_GROUP_SIZE ${rowGroupSize}, FIELD_IDS ${fieldIdsClause(tradesTable.schema.fields)}, RETURN_STATS)`,
    )
    msByHour.set(hour, (msByHour.get(hour) ?? 0) + performance.now() - t0)
    const stats = copied.getRowObjects()[0]!
    const columnSizes = new Map<number, bigint>()
    for (const [key, entries] of mapEntries(stats.column_statistics)) {
      const id = byName.get(String(key).replace(/^"|"$/g, ''))
      const size = mapEntries(entries).find(([k]) => String(k) === 'column_size_bytes')?.[1]
      if (id !== undefined && size !== undefined) columnSizes.set(id, BigInt(String(size)))
    }
    const inputs = group.map((f) => f.dataFile)
    run.compacted.push({
      hour,
      dataFile: {
        ...inputs[0]!,
        filePath: target,
        recordCount: inputs.reduce((s, f) => s + f.recordCount, 0n),
        fileSizeInBytes: BigInt(String(stats.file_size_bytes)),
        columnSizes,
        valueCounts: undefined,
        nullValueCounts: undefined,
        lowerBounds: mergedBounds(inputs, 'lowerBounds'),
        upperBounds: mergedBounds(inputs, 'upperBounds'),
      },
    })
  }
  run.compactMsPerHour.push(...[...msByHour.entries()].sort((x, y) => x[0] - y[0]).map(([, ms]) => ms))
}

/** A timed query: which rows it wants (for planning), the SQL over a `read_parquet` list, the columns it reads. */
interface QueryCase {
  readonly key: string
  readonly label: string
  readonly filter: ScanFilter | undefined
  readonly sql: (from: string) => string
  readonly columns: readonly string[]
}

const ts = (micros: number): string => `make_timestamptz(${micros}::BIGINT)`
const barsSelect = `time_bucket(INTERVAL 1 minute, event_time) AS minute, arg_min(price, event_time) AS open, max(price) AS high, min(price) AS low, arg_max(price, event_time) AS close, sum(quantity) AS volume, sum(price::DOUBLE * quantity::DOUBLE) / sum(quantity::DOUBLE) AS vwap, count(*) AS trades`

function queryCases(top: string, tail: string, lastFrom: number, hourFrom: number): QueryCase[] {
  const { allOf, eq, gte, lt } = scanFilter
  const recent = (symbol: string): QueryCase => ({
    key: `Q1 ${symbol}`,
    label: `${symbol}, last 5 min`,
    filter: allOf(eq('symbol', symbol), gte('event_time', BigInt(lastFrom))),
    sql: (from) => `SELECT event_time, trade_id, price, quantity, side FROM ${from} WHERE symbol = ${sqlString(symbol)} AND event_time >= ${ts(lastFrom)} ORDER BY event_time`,
    columns: ['symbol', 'event_time', 'trade_id', 'price', 'quantity', 'side'],
  })
  const hourBars = (symbol: string): QueryCase => ({
    key: `Q2 ${symbol}`,
    label: `${symbol}, 1 h of 1-min bars`,
    filter: allOf(eq('symbol', symbol), gte('event_time', BigInt(hourFrom)), lt('event_time', BigInt(hourFrom + microsPerHour))),
    sql: (from) =>
      `SELECT ${barsSelect} FROM ${from} WHERE symbol = ${sqlString(symbol)} AND event_time >= ${ts(hourFrom)} AND event_time < ${ts(hourFrom + microsPerHour)} GROUP BY minute ORDER BY minute`,
    columns: ['symbol', 'event_time', 'price', 'quantity'],
  })
  return [
    recent(top),
    recent(tail),
    hourBars(top),
    hourBars(tail),
    {
      key: 'Q3',
      label: 'all symbols, all data, 1-min bars',
      filter: undefined,
      sql: (from) => `SELECT symbol, ${barsSelect} FROM ${from} GROUP BY symbol, minute ORDER BY symbol, minute`,
      columns: ['symbol', 'event_time', 'price', 'quantity'],
    },
    {
      key: 'Q4',
      label: 'latest trade per symbol',
      filter: undefined,
      sql: (from) => `SELECT symbol, max(event_time) AS event_time, arg_max(price, event_time) AS price, arg_max(quantity, event_time) AS quantity FROM ${from} GROUP BY symbol ORDER BY symbol`,
      columns: ['symbol', 'event_time', 'price', 'quantity'],
    },
  ]
}

interface QueryResult {
  readonly query: string
  readonly files: 'uncompacted' | 'compacted'
  readonly filesRead: number
  readonly filesTotal: number
  readonly rowsInFiles: number
  /** Sum of the sizes of the files read (what pruning left; DuckDB reads less: only the columns and row groups it needs). */
  readonly bytesInFiles: number
  /** Sum of the compressed sizes of the columns the query reads, in those files. */
  readonly columnBytes: number
  readonly runs: number
  readonly p50Ms: number
  readonly p95Ms: number
}

/** The p-th percentile (0–100) by lib's nearest-rank quantile; 0 for no values. */
const percentile = (values: readonly number[], p: number): number => quantile(values, p / 100) ?? 0

const round = (x: number, digits = 1): number => Number(x.toFixed(digits))

async function timeQuery(
  connection: DuckDBConnection,
  run: LayoutRun,
  which: 'uncompacted' | 'compacted',
  q: QueryCase,
  runs: number,
  budgetMs: number,
): Promise<QueryResult> {
  const all = which === 'uncompacted' ? run.files : run.compacted
  const bound = q.filter === undefined ? undefined : bindFilter(q.filter, tradesTable.schema)
  const kept = bound === undefined ? all : all.filter((f) => fileMayMatch(bound, run.layout.spec, run.partitionFields, f.dataFile))
  const ids = q.columns.map((c) => tradesTable.schema.fields.find((f) => f.name === c)!.id)
  const sum = (fn: (f: DataFile) => number): number => kept.reduce((s, f) => s + fn(f.dataFile), 0)
  const base = {
    query: q.key,
    files: which,
    filesRead: kept.length,
    filesTotal: all.length,
    rowsInFiles: sum((f) => Number(f.recordCount)),
    bytesInFiles: sum((f) => Number(f.fileSizeInBytes)),
    columnBytes: sum((f) => ids.reduce((s, id) => s + Number(f.columnSizes?.get(id) ?? 0n), 0)),
  }
  if (kept.length === 0) return { ...base, runs: 0, p50Ms: 0, p95Ms: 0 }
  const sql = q.sql(`read_parquet([${kept.map((f) => sqlString(f.dataFile.filePath)).join(', ')}])`)
  const once = async (): Promise<number> => {
    const t0 = performance.now()
    await connection.runAndReadAll(sql)
    return performance.now() - t0
  }
  const warm = await once() // warms the OS cache
  // Full scans of tens of thousands of small files take seconds each: fewer runs (at least 3) keep the run bounded.
  const n = warm * runs <= budgetMs ? runs : Math.max(3, Math.floor(budgetMs / warm))
  const times: number[] = []
  for (let i = 0; i < n; i++) times.push(await once())
  return { ...base, runs: n, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)) }
}

async function main(): Promise<void> {
  const started = performance.now()
  const config = loadConfig(process.env)
  const trades = Number(arg('trades', '3000000'))
  const rate = Number(arg('rate', '180'))
  const commitSeconds = Number(arg('commit-seconds', String(config.sink.maxAgeMs / 1000)))
  const runs = Number(arg('runs', '15'))
  const budgetS = Number(arg('query-budget-s', '10'))
  const keep = flag('keep')
  const rowGroupSize = config.sink.rowGroupSize
  const log = createLogger({ level: 'info', write: (l) => process.stderr.write(l), namespace: 'bench.layout' })
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-table-layout-'))

  log.info('generating trades', { trades, rate })
  const tape = generateTape(trades, rate)
  const first = tape.timeMicros[0]!
  const last = tape.timeMicros[tape.count - 1]!
  const commits = commitRanges(tape, commitSeconds * 1_000_000)
  const spanHours = (last - first) / microsPerHour
  log.info('tape ready', { spanHours: round(spanHours, 2), commits: commits.length, meanTradesPerCommit: Math.round(trades / commits.length), seconds: round((performance.now() - started) / 1000) })

  const layoutRuns: LayoutRun[] = []
  for (const l of layouts) {
    // A fresh in-memory DuckDB per layout, set up as the sink's.
    const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '2GB', preserve_insertion_order: 'false' })
    const connection = await instance.connect()
    const dir = path.join(workDir, l.key)
    const writer = await createParquetDataWriter({ connection, schema: tradesTable.schema, spec: l.spec, sortOrder: l.sortOrder, workDir: path.join(dir, 'commits'), rowGroupSize })
    const partitionFields = partitionType(tradesTable.schema, l.spec, transformResultType)
    layoutRuns.push({ layout: l, partitionFields, instance, connection, writer, dir, files: [], compacted: [], writeMs: [], filesPerCommit: [], compactMsPerHour: [] })
  }

  // Commit by commit, every layout in turn: load from other work on the machine falls on all alike.
  let reported = 0
  for (const [k, c] of commits.entries()) {
    const rows: unknown[][] = []
    for (let i = c.start; i < c.end; i++) rows.push(tradeRow(tape, i))
    for (const r of layoutRuns) {
      const t0 = performance.now()
      r.writer.append(rows)
      const written = await r.writer.writeFiles()
      r.writeMs.push(performance.now() - t0)
      r.filesPerCommit.push(written.length)
      for (const w of written) r.files.push({ hour: c.hour, dataFile: { ...w.dataFile, filePath: w.localPath } })
    }
    const done = Math.floor(((k + 1) * 10) / commits.length)
    if (done > reported) {
      reported = done
      log.info(`committed ${k + 1}/${commits.length}`, { files: layoutRuns.map((r) => `${r.layout.key}:${r.files.length}`).join(' '), seconds: round((performance.now() - started) / 1000) })
    }
  }

  for (const r of layoutRuns) {
    await r.writer.close()
    await compact(r, rowGroupSize)
    log.info(`compacted ${r.layout.key}`, { files: `${r.files.length} -> ${r.compacted.length}`, seconds: round((performance.now() - started) / 1000) })
  }

  // Queries: the newest 5 minutes of data; the second whole hour (the first if there is one only).
  const top = 'BTCUSDT'
  const tail = tape.symbols[Math.floor((tape.symbols.length * 3) / 4) - 1]!
  const lastFrom = last - 5 * microsPerMinute
  const firstHour = Math.ceil(first / microsPerHour) * microsPerHour
  const hourFrom = firstHour + 2 * microsPerHour <= last ? firstHour + microsPerHour : Math.floor(first / microsPerHour) * microsPerHour
  const cases = queryCases(top, tail, lastFrom, hourFrom)
  const tradesOf = (symbol: string): number => tape.symbolIndex.reduce((n, s) => n + (tape.symbols[s] === symbol ? 1 : 0), 0)
  const queryInstance = await DuckDBInstance.create(':memory:')
  const queries = await queryInstance.connect()
  await queries.run(`SET TimeZone = 'UTC'`)
  const results = new Map<string, QueryResult[]>()
  for (const r of layoutRuns) {
    const out: QueryResult[] = []
    for (const which of ['uncompacted', 'compacted'] as const) {
      for (const q of cases) out.push(await timeQuery(queries, r, which, q, runs, budgetS * 1000))
    }
    results.set(r.layout.key, out)
    log.info(`queried ${r.layout.key}`, { seconds: round((performance.now() - started) / 1000) })
  }
  queries.closeSync()
  queryInstance.closeSync()
  for (const r of layoutRuns) {
    r.connection.closeSync()
    r.instance.closeSync()
  }

  const sizeOf = (files: readonly LayoutFile[]): number => files.reduce((s, f) => s + Number(f.dataFile.fileSizeInBytes), 0)
  const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)
  const command = `npm run bench:layout -- --trades ${trades} --rate ${rate} --commit-seconds ${commitSeconds} --runs ${runs} --query-budget-s ${budgetS}`
  const result = {
    benchmark: 'table-layout',
    command,
    date: new Date().toISOString(),
    machine: describeMachine(),
    caveat: 'The machine is shared with other engineers\u2019 tests, which ran during this benchmark; timings carry their noise (layouts were written commit by commit in turn, so they share it alike).',
    settings: {
      market: { seed: 7, symbols: tape.symbols.length, actionsPerSecond: rate, trades },
      marketStart: new Date(first / 1000).toISOString(),
      marketEnd: new Date(last / 1000).toISOString(),
      spanHours: round(spanHours, 2),
      commitSeconds,
      commits: commits.length,
      tradesPerCommitMean: Math.round(trades / commits.length),
      tradesPerCommitP50: percentile(commits.map((c) => c.end - c.start), 50),
      rowGroupSize,
      writer: 'createParquetDataWriter (zstd, Parquet v2, field ids), a fresh in-memory DuckDB per layout (threads 2, 2 GB, as the sink)',
      compaction: 'per hour of commits and partition: COPY (SELECT * FROM read_parquet([...]) ORDER BY <layout sort>) TO ... (zstd, Parquet v2, FIELD_IDS)',
      queryEngine: 'DuckDB in-memory, default threads, over read_parquet([files that survive fileMayMatch pruning])',
      runs,
      queryBudgetSeconds: budgetS,
      topSymbol: { symbol: top, trades: tradesOf(top) },
      tailSymbol: { symbol: tail, trades: tradesOf(tail) },
      q1From: new Date(lastFrom / 1000).toISOString(),
      q2Hour: new Date(hourFrom / 1000).toISOString(),
    },
    queries: cases.map((q) => ({ key: q.key, label: q.label, sql: q.sql('read_parquet([...])') })),
    layouts: layoutRuns.map((r) => ({
      key: r.layout.key,
      label: r.layout.label,
      spec: r.layout.spec,
      sortOrder: r.layout.sortOrder.fields.map((f) => tradesTable.schema.fields.find((c) => c.id === f['source-id'])!.name),
      uncompacted: {
        filesPerCommitMean: round(mean(r.filesPerCommit), 2),
        filesPerCommitMax: Math.max(...r.filesPerCommit),
        files: r.files.length,
        tradesPerFileMean: Math.round(trades / r.files.length),
        bytes: sizeOf(r.files),
        bytesPerTrade: round(sizeOf(r.files) / trades, 2),
        writeMsPerCommitP50: round(percentile(r.writeMs, 50)),
        writeMsPerCommitP95: round(percentile(r.writeMs, 95)),
        writeSecondsTotal: round(r.writeMs.reduce((s, x) => s + x, 0) / 1000),
      },
      compacted: {
        files: r.compacted.length,
        tradesPerFileMean: Math.round(trades / r.compacted.length),
        bytes: sizeOf(r.compacted),
        bytesPerTrade: round(sizeOf(r.compacted) / trades, 2),
        compactMsPerHourP50: round(percentile(r.compactMsPerHour, 50)),
        compactSecondsTotal: round(r.compactMsPerHour.reduce((s, x) => s + x, 0) / 1000),
      },
      queries: results.get(r.layout.key)!,
    })),
    seconds: 0,
  }
  result.seconds = Math.round((performance.now() - started) / 1000)

  const dir = path.join(config.paths.root, 'docs', 'bench')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'table-layout.json'), JSON.stringify(result, null, 1) + '\n')
  const md = markdown(result)
  fs.writeFileSync(path.join(dir, 'table-layout.md'), md)
  process.stdout.write(md)
  if (keep) log.info(`files kept in ${workDir}`)
  else fs.rmSync(workDir, { recursive: true, force: true })
}

type Result = {
  command: string
  date: string
  machine: Record<string, string | number>
  caveat: string
  seconds: number
  settings: {
    market: { actionsPerSecond: number; trades: number; symbols: number }
    marketStart: string
    marketEnd: string
    spanHours: number
    commitSeconds: number
    commits: number
    tradesPerCommitMean: number
    tradesPerCommitP50: number
    rowGroupSize: number
    runs: number
    queryBudgetSeconds: number
    topSymbol: { symbol: string; trades: number }
    tailSymbol: { symbol: string; trades: number }
    q1From: string
    q2Hour: string
  }
  queries: Array<{ key: string; label: string }>
  layouts: Array<{
    key: string
    label: string
    uncompacted: { filesPerCommitMean: number; filesPerCommitMax: number; files: number; tradesPerFileMean: number; bytesPerTrade: number; writeMsPerCommitP50: number; writeMsPerCommitP95: number; writeSecondsTotal: number }
    compacted: { files: number; tradesPerFileMean: number; bytesPerTrade: number; compactMsPerHourP50: number; compactSecondsTotal: number }
    queries: QueryResult[]
  }>
}

function bytesText(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`
  return n >= 1e4 ? `${Math.round(n / 1e3)} kB` : `${(n / 1e3).toFixed(1)} kB`
}

function markdown(r: Result): string {
  const s = r.settings
  const m = r.machine
  const keys = r.queries.map((q) => q.key)
  const head = (cols: readonly string[]): string[] => [`| layout | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`]
  const perQuery = (which: 'uncompacted' | 'compacted', cell: (q: QueryResult) => string): string[] => [
    ...head(keys),
    ...r.layouts.map((l) => `| ${l.key}: ${l.label} | ${keys.map((k) => cell(l.queries.find((q) => q.query === k && q.files === which)!)).join(' | ')} |`),
  ]
  const lowRuns = r.layouts.flatMap((l) => l.queries.filter((q) => q.runs < s.runs).map((q) => `${l.key} ${q.files} ${q.query} (${q.runs})`))
  const queryList = r.queries.map((q) => `${q.key} = ${q.label}`).join('; ')
  return [
    '# Table layout of market.trades',
    '',
    `Command: \`${r.command}\` on ${r.date.slice(0, 10)} (${r.seconds} s).`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; DuckDB through @duckdb/node-api, local files only (no catalog, no object store).`,
    '',
    `**Caveat:** ${r.caveat} Compare layouts within this run rather than with other runs.`,
    '',
    '## Setup',
    '',
    `- ${s.market.trades.toLocaleString('en')} trades of the synthetic market (seed 7, ${s.market.symbols} symbols, Zipf activity), slowed to ${s.market.actionsPerSecond} book actions per second so they span ${s.spanHours} h of market time (${s.marketStart} to ${s.marketEnd}), one day partition.`,
    `- Sink commits every ${s.commitSeconds} s of market time (K2_SINK_MAX_AGE_MS): ${s.commits.toLocaleString('en')} commits of ${s.tradesPerCommitMean.toLocaleString('en')} trades on average (median ${s.tradesPerCommitP50.toLocaleString('en')}). Each layout's commits are written by the sink's writer (createParquetDataWriter: one zstd Parquet v2 file per partition, sorted, row groups of ${s.rowGroupSize.toLocaleString('en')}).`,
    '- Hourly compaction: all files of one partition written within an hour are merged into one, sorted by the layout\u2019s sort order, with DuckDB `COPY (SELECT * FROM read_parquet([...]) ORDER BY ...)`.',
    `- Queries: ${queryList}. Files are chosen by the reader\u2019s pruning (fileMayMatch: partition tuple and column bounds), then read with DuckDB \`read_parquet([...])\`, which also skips row groups by their statistics. Q1 reads from ${s.q1From}; Q2 is the hour from ${s.q2Hour}. ${s.topSymbol.symbol} has ${s.topSymbol.trades.toLocaleString('en')} trades, the tail symbol ${s.tailSymbol.symbol} ${s.tailSymbol.trades.toLocaleString('en')}.`,
    `- Each query runs once to warm the OS cache, then ${s.runs} timed runs${lowRuns.length ? `, except where ${s.runs} runs would take more than ${s.queryBudgetSeconds} s (their runs in parentheses): ${lowRuns.join(', ')}` : ''}.`,
    '',
    '## Files',
    '',
    ...head(['files per commit (mean / max)', 'files, uncompacted', 'trades per file', 'files, hourly compacted', 'trades per file, compacted']),
    ...r.layouts.map((l) => `| ${l.key}: ${l.label} | ${l.uncompacted.filesPerCommitMean} / ${l.uncompacted.filesPerCommitMax} | ${l.uncompacted.files.toLocaleString('en')} | ${l.uncompacted.tradesPerFileMean.toLocaleString('en')} | ${l.compacted.files.toLocaleString('en')} | ${l.compacted.tradesPerFileMean.toLocaleString('en')} |`),
    '',
    '## Bytes per trade on disk',
    '',
    ...head(['uncompacted', 'hourly compacted']),
    ...r.layouts.map((l) => `| ${l.key}: ${l.label} | ${l.uncompacted.bytesPerTrade} | ${l.compacted.bytesPerTrade} |`),
    '',
    '## Write time',
    '',
    ...head(['ms per commit, p50', 'ms per commit, p95', 's for all commits', 'compaction ms per hour, p50', 'compaction s, all hours']),
    ...r.layouts.map((l) => `| ${l.key}: ${l.label} | ${l.uncompacted.writeMsPerCommitP50} | ${l.uncompacted.writeMsPerCommitP95} | ${l.uncompacted.writeSecondsTotal} | ${l.compacted.compactMsPerHourP50} | ${l.compacted.compactSecondsTotal} |`),
    '',
    '## Query time, ms p50 / p95: uncompacted',
    '',
    ...perQuery('uncompacted', (q) => `${q.p50Ms} / ${q.p95Ms}`),
    '',
    '## Query time, ms p50 / p95: hourly compacted',
    '',
    ...perQuery('compacted', (q) => `${q.p50Ms} / ${q.p95Ms}`),
    '',
    '## Files read after pruning (of all files)',
    '',
    'Uncompacted:',
    '',
    ...perQuery('uncompacted', (q) => `${q.filesRead.toLocaleString('en')} / ${q.filesTotal.toLocaleString('en')}`),
    '',
    'Hourly compacted:',
    '',
    ...perQuery('compacted', (q) => `${q.filesRead.toLocaleString('en')} / ${q.filesTotal.toLocaleString('en')}`),
    '',
    '## Bytes read: files read / the columns the query reads in them',
    '',
    'Sizes of the files that survive pruning, and of the column chunks the query needs in them (DuckDB reads at most the latter, less where row-group statistics let it skip).',
    '',
    'Uncompacted:',
    '',
    ...perQuery('uncompacted', (q) => `${bytesText(q.bytesInFiles)} / ${bytesText(q.columnBytes)}`),
    '',
    'Hourly compacted:',
    '',
    ...perQuery('compacted', (q) => `${bytesText(q.bytesInFiles)} / ${bytesText(q.columnBytes)}`),
    '',
  ].join('\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:layout failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
