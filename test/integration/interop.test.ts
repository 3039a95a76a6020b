import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { parse as parseLosslessJson, parseNumberAndBigInt } from 'lossless-json'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createMetrics,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createWarehouseFileIO,
  ensureTopics,
  requireSecret,
  runIcebergSink,
  silentLogger,
  type IcebergSinkOptions,
  type Trade,
} from '../../lib/internal'
import { FatalError, dropTopics, eventually, stackConfig, uniqueName, scratchDir } from './helpers'
import { dropLake, makeTrades, produceTrades, queryTable, tableRecords } from './lake-helpers'

const config = stackConfig()
const kafka = new Kafka({ clientId: 'k2-test-interop', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
const serde = createRecordSerde({ registry })
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('interop', '_')
const topics = { trades: uniqueName('trades'), quotes: uniqueName('quotes'), deadLetter: uniqueName('dead') }
const tables = { trades: 'trades', quotes: 'quotes' }
const workDir = scratchDir('sink-work')
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', 'PEPEUSDT', 'XRPUSDT', 'ADAUSDT', 'BNBUSDT', 'LTCUSDT', 'TRXUSDT']

const python = path.join(config.paths.cache, 'jupyter', 'venv', 'bin', 'python')
const readTableScript = path.join(config.paths.root, 'test', 'interop', 'read_table.py')
const provisionHint = 'run `npm run stack -- up`: it installs pyiceberg, duckdb and its iceberg extension (stack/jupyter/requirements.txt) into .cache/jupyter/venv'

/** What one reader saw of one symbol: the aggregates read_table.py prints, in the same units. */
interface SymbolSummary {
  count: bigint
  distinct_trade_ids: bigint
  min_trade_id: bigint
  max_trade_id: bigint
  /** Exact decimal strings with 8 fractional digits. */
  sum_price: string
  sum_quantity: string
  /** µs since the epoch. */
  min_event_time: bigint
  max_event_time: bigint
}

interface ReaderSummary {
  rows: bigint
  types: Record<string, string>
  symbols: Record<string, SymbolSummary>
  /** Rows read with each filter pushed down. */
  filtered: Record<string, bigint>
}

/** pyiceberg also says how many data files it planned to read, in all and per filter. */
interface PyicebergSummary extends ReaderSummary {
  files: bigint
  planned: Record<string, bigint>
}

const execFileAsync = promisify(execFile)

/** Runs test/interop/read_table.py with the project venv; its failure (and stderr) fails the test. */
async function readTable(args: readonly string[]): Promise<string> {
  if (!fs.existsSync(python)) throw new Error(`no Python venv at ${python}: ${provisionHint}`)
  try {
    const { stdout } = await execFileAsync(python, [readTableScript, ...args], {
      env: { ...process.env, K2_S3_ACCESS_KEY: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'), K2_S3_SECRET_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY') },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    return stdout
  } catch (err) {
    // Exit 3 (packages missing) already says to run `npm run stack -- up`.
    const e = err as Error & { code?: number | string; stderr?: string }
    throw new Error(`read_table.py ${args.join(' ')} failed (exit ${String(e.code)}):\n${e.stderr?.trim() || e.message}`, { cause: err })
  }
}

/** The unscaled value (10^-8 units) of an exact decimal string. */
const units = (v: string): bigint => {
  const [whole, fraction = ''] = v.split('.')
  return BigInt(whole! + fraction.padEnd(8, '0'))
}

/** A sum of exact decimal strings with 8 fractional digits, as such a string. */
function decimalSum(values: readonly string[]): string {
  const total = values.reduce((s, v) => s + units(v), 0n)
  return `${total / 100_000_000n}.${String(total % 100_000_000n).padStart(8, '0')}`
}

/**
 * The trades with prices and quantities that use every digit the schema allows: 8 fractional
 * digits, prices up to DECIMAL(18, 8)'s 10 integer digits and, for one symbol, quantities up to
 * the Avro schema's 20 (DECIMAL(38, 8) in the lake) (unscaled values beyond 64 bits), so a reader that rounds, goes through
 * doubles or misreads the 16-byte decimals disagrees.
 */
function withFullPrecision(trades: readonly Trade[]): Trade[] {
  const digits = (v: bigint, width: number): string => String(v).padStart(width, '0')
  return trades.map((t) => {
    const i = t.tradeId
    const k = BigInt(symbols.indexOf(t.symbol))
    const priceWhole = (i * 2_654_435_761n + k * 97n) % (k === 0n ? 10_000_000_000n : 100_000n)
    const quantityWhole = k === 1n ? (i * 11_400_714_819_323_198_485n) % 10n ** 20n : i % 3n
    return {
      ...t,
      price: `${priceWhole}.${digits((i * 982_451_653n + k) % 100_000_000n, 8)}`,
      quantity: `${quantityWhole}.${digits((i * 40_503n + k + 1n) % 100_000_000n, 8)}`,
    }
  })
}

const secondDay = BigInt(Date.UTC(2026, 10, 23)) * 1000n

/**
 * Filters each reader pushes down (text in the syntax pyiceberg's row_filter and SQL share), with
 * the trades each keeps. Readers prune data files by our manifests' partition values (symbol
 * bucket, day) and column bounds (long, 8- and 16-byte decimals), so a wrongly encoded value or
 * bound makes a reader skip files and return fewer rows.
 */
const filters: ReadonlyArray<{ where: string; keep: (t: Trade) => boolean }> = [
  { where: "symbol = 'BTCUSDT'", keep: (t) => t.symbol === 'BTCUSDT' },
  { where: "event_time >= '2026-11-23T00:00:00+00:00'", keep: (t) => t.timestampMicros >= secondDay },
  { where: 'trade_id > 1900', keep: (t) => t.tradeId > 1900n },
  { where: "price >= '100000.00000000'", keep: (t) => units(t.price) >= units('100000') },
  { where: "quantity > '1000.00000000'", keep: (t) => units(t.quantity) > units('1000') },
]

/** The aggregates every reader must return, computed from the trades the test produced. */
function expectedSummary(trades: readonly Trade[]): Record<string, SymbolSummary> {
  const bySymbol = new Map<string, Trade[]>()
  for (const t of trades) {
    const ts = bySymbol.get(t.symbol) ?? []
    ts.push(t)
    bySymbol.set(t.symbol, ts)
  }
  const out: Record<string, SymbolSummary> = {}
  for (const [symbol, ts] of [...bySymbol].sort(([a], [b]) => a.localeCompare(b))) {
    const ids = ts.map((t) => t.tradeId)
    const times = ts.map((t) => t.timestampMicros)
    const min = (xs: bigint[]): bigint => xs.reduce((a, b) => (b < a ? b : a))
    const max = (xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a))
    out[symbol] = {
      count: BigInt(ts.length),
      distinct_trade_ids: BigInt(new Set(ids).size),
      min_trade_id: min(ids),
      max_trade_id: max(ids),
      sum_price: decimalSum(ts.map((t) => t.price)),
      sum_quantity: decimalSum(ts.map((t) => t.quantity)),
      min_event_time: min(times),
      max_event_time: max(times),
    }
  }
  return out
}

/** The same aggregates with our own reader: the data files our manifests list, read by DuckDB read_parquet. */
async function ourSummary(table: string): Promise<Omit<ReaderSummary, 'types'>> {
  const rows = await queryTable<{ symbol: string } & Record<keyof SymbolSummary, bigint | string>>(
    catalog,
    io,
    namespace,
    table,
    `SELECT symbol, count(*) AS count, count(DISTINCT trade_id) AS distinct_trade_ids, min(trade_id) AS min_trade_id, max(trade_id) AS max_trade_id,
            sum(price)::VARCHAR AS sum_price, sum(quantity)::VARCHAR AS sum_quantity,
            epoch_us(min(event_time)) AS min_event_time, epoch_us(max(event_time)) AS max_event_time
     FROM t GROUP BY symbol ORDER BY symbol`,
  )
  const symbolsSeen: Record<string, SymbolSummary> = {}
  for (const { symbol, ...r } of rows) {
    symbolsSeen[symbol] = {
      count: BigInt(r.count),
      distinct_trade_ids: BigInt(r.distinct_trade_ids),
      min_trade_id: BigInt(r.min_trade_id),
      max_trade_id: BigInt(r.max_trade_id),
      sum_price: decimalSum([String(r.sum_price)]),
      sum_quantity: decimalSum([String(r.sum_quantity)]),
      min_event_time: BigInt(r.min_event_time),
      max_event_time: BigInt(r.max_event_time),
    }
  }
  const filtered: Record<string, bigint> = {}
  for (const { where } of filters) {
    const [r] = await queryTable<{ n: bigint }>(catalog, io, namespace, table, `SELECT count(*) AS n FROM t WHERE ${where}`)
    filtered[where] = r!.n
  }
  return { rows: Object.values(symbolsSeen).reduce((n, s) => n + s.count, 0n), symbols: symbolsSeen, filtered }
}

const committedRecords = (table: string): Promise<number | undefined> => tableRecords(catalog, namespace, table)

beforeAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, [
    { topic: topics.trades, partitions: 6 },
    { topic: topics.quotes, partitions: 1 },
    { topic: topics.deadLetter, partitions: 1 },
  ])
  await admin.disconnect()
  await serde.registerSchemas(topics)
})

afterAll(async () => {
  await dropLake(catalog, namespace, Object.values(tables))
  await dropTopics(kafka, Object.values(topics), registry)
  io.close()
  fs.rmSync(workDir, { recursive: true, force: true })
})

describe('interop: other engines read the tables the sink writes', () => {
  it('pyiceberg and DuckDB read the trades table through the REST catalog and agree exactly with our reader and the produced data', async () => {
    // Fail at once, with the fix, when the venv lacks the readers (never skip).
    const versions = parseLosslessJson(await readTable(['--check'])) as Record<string, unknown>
    expect(versions).toMatchObject({ pyiceberg: expect.any(String), duckdb: expect.any(String) })

    // 2,000 trades for each of 10 symbols on two days (two day partitions per symbol bucket); a
    // flush every 5,000 records gives several snapshots, manifests and files per partition.
    const trades = withFullPrecision([...makeTrades(symbols, 1000, 1, secondDay - 86_400_000_000n), ...makeTrades(symbols, 1000, 1001, secondDay)])
    await produceTrades(kafka, serde, topics.trades, trades)

    const options: IcebergSinkOptions = {
      namespace,
      topics,
      tables,
      streams: ['trades'],
      groupId: uniqueName('sink'),
      maxRecords: 5000,
      maxAgeMs: 1000,
      rowGroupSize: 2000,
      workDir,
    }
    const abort = new AbortController()
    let failure: unknown
    const run = runIcebergSink(options, { kafka, catalog, io, serde, logger: silentLogger, metrics: createMetrics() }, abort.signal)
    run.catch((err: unknown) => {
      failure = err
    })
    const alive = (): void => {
      if (failure) throw new FatalError(`the sink stopped: ${String(failure)}`, { cause: failure })
    }
    try {
      await eventually(async () => (alive(), (await committedRecords(tables.trades)) === trades.length ? true : undefined), 90_000, 'the sink to commit every trade')
    } finally {
      abort.abort()
      await run.catch(() => undefined)
    }
    const { metadata } = await catalog.loadTable([namespace], tables.trades)
    expect(metadata.snapshots?.length ?? 0).toBeGreaterThan(1)

    const other = parseLosslessJson(
      await readTable([config.catalog.url, config.s3.endpoint, namespace, tables.trades, ...filters.map((f) => f.where)]),
      null,
      parseNumberAndBigInt,
    ) as { pyiceberg: PyicebergSummary; duckdb: ReaderSummary }
    const ours = await ourSummary(tables.trades)
    const expected = {
      rows: BigInt(trades.length),
      symbols: expectedSummary(trades),
      filtered: Object.fromEntries(filters.map((f) => [f.where, BigInt(trades.filter(f.keep).length)])),
    }
    expect(Object.keys(expected.symbols)).toHaveLength(symbols.length)
    for (const n of Object.values(expected.filtered)) expect(n > 0n && n < expected.rows).toBe(true)

    // Every reader sees exactly the produced data: counts and trade id ranges per symbol, exact
    // decimal sums, µs event times, and the same rows through each filter.
    expect(ours, 'our reader').toEqual(expected)
    expect({ rows: other.pyiceberg.rows, symbols: other.pyiceberg.symbols, filtered: other.pyiceberg.filtered }, 'pyiceberg').toEqual(expected)
    expect({ rows: other.duckdb.rows, symbols: other.duckdb.symbols, filtered: other.duckdb.filtered }, 'DuckDB iceberg extension').toEqual(expected)
    // The filters really pruned by our partition values and bounds (else the counts above prove little).
    for (const { where } of filters) expect(other.pyiceberg.planned[where], `pyiceberg files planned for ${where} of ${other.pyiceberg.files}`).toBeLessThan(other.pyiceberg.files)

    // And with the table's types: exact decimals and UTC µs timestamps, not doubles or strings.
    expect(other.pyiceberg.types).toMatchObject({ trade_id: 'int64', price: 'decimal128(18, 8)', quantity: 'decimal128(38, 8)', event_time: 'timestamp[us, tz=UTC]' })
    expect(other.duckdb.types).toMatchObject({ trade_id: 'BIGINT', price: 'DECIMAL(18,8)', quantity: 'DECIMAL(38,8)', event_time: 'TIMESTAMP WITH TIME ZONE' })
  })
})
