import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { parse as parseLosslessJson, parseNumberAndBigInt } from 'lossless-json'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analytics,
  createMetrics,
  createQueryEngine,
  currentSnapshot,
  requireSecret,
  runIcebergSink,
  silentLogger,
  type BarRow,
  type QueryEngine,
  type Trade,
} from '../../lib/internal'
import { sparkJars, sparkVersions } from '../../stack/services/spark'
import { FatalError, eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, produceTrades, tableRecords } from './lake-helpers'

/**
 * The scale-out path (docs/scale-out.md): Apache Spark reads the tables the sink writes through
 * the same REST catalog and object store, and computes the same bars as our engine from the same
 * snapshot, to the last decimal digit.
 */

const lake = createLakeTestContext('spark')
const { config, kafka, serde, catalog, io, namespace, topics } = lake
const tables = { trades: 'trades', quotes: 'quotes' }
const workDir = scratchDir('sink-work')
const queryCache = scratchDir('query-cache')

const python = path.join(config.paths.cache, 'jupyter', 'venv', 'bin', 'python')
const script = path.join(config.paths.root, 'test', 'interop', 'spark_bars.py')
const jars = sparkJars(config)
const provisionHint =
  'run `npm run stack -- up`: it installs pyspark (stack/jupyter/requirements.txt) into .cache/jupyter/venv and downloads the Iceberg Spark jars into the cache (stack/services/spark.ts)'
const execFileAsync = promisify(execFile)

/** A bar as spark_bars.py prints it (and as the test turns our engine's rows into). */
interface SparkBar {
  start: bigint
  open: string
  high: string
  low: string
  close: string
  volume: string
  notional: string
  vwap: string
  trades: bigint
  first_trade_id: bigint
  last_trade_id: bigint
}

interface SparkOutput {
  spark: string
  iceberg: string
  snapshot: { id: bigint; total_records: bigint; rows: bigint }
  bars: SparkBar[]
}

/** Runs spark_bars.py with the project venv; its failure (and stderr) fails the test. */
async function sparkBars(args: readonly string[]): Promise<string> {
  if (!fs.existsSync(python)) throw new Error(`no Python venv at ${python}: ${provisionHint}`)
  try {
    const { stdout } = await execFileAsync(python, [script, '--jars', jars.join(','), ...args], {
      env: { ...process.env, K2_S3_ACCESS_KEY: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'), K2_S3_SECRET_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY') },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    return stdout
  } catch (err) {
    // Exit 3 (pyspark or the jars missing) already says to run `npm run stack -- up`.
    const e = err as Error & { code?: number | string; stderr?: string }
    const stderr = e.stderr?.trim() ?? ''
    const java = /JAVA_HOME|java: not found|Java gateway process exited/.test(stderr) ? ' (Spark needs Java 17+ on PATH or in JAVA_HOME: apt-get install openjdk-17-jre-headless)' : ''
    throw new Error(`spark_bars.py failed (exit ${String(e.code)})${java}:\n${stderr.split('\n').slice(-30).join('\n') || e.message}`, { cause: err })
  }
}

// ---- The trades: exact decimals chosen so that a reader that rounds, goes through doubles, rounds
// half to even, orders by time instead of trade id or misses the snapshot gets different bars.

const M = 60_000_000n
/** A whole minute, µs; the bars asked for are [from, to) = [S + 1 min, S + 6 min). */
const S = BigInt(Date.UTC(2026, 10, 22, 12, 0)) * 1000n
const from = S + M
const to = S + 6n * M
/** Trades at or after this time are committed after the snapshot the test pins. */
const cut = S + 5n * M + 30_000_000n
const symbol = 'ETHUSDT'

const units = (d: string): bigint => {
  const [i, f = ''] = d.split('.')
  return BigInt(i!) * 100_000_000n + BigInt(f.padEnd(8, '0'))
}
const decimal8 = (u: bigint): string => `${u / 100_000_000n}.${String(u % 100_000_000n).padStart(8, '0')}`
/** A deterministic digit source (no Math.random: a failure reproduces). */
const mix = (n: bigint): bigint => (n * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) % 2n ** 63n

function trade(sym: string, id: bigint, us: bigint, price: string, quantity: string): Trade {
  return {
    messageId: `BINANCE:${sym}:${id}`,
    tradeId: id,
    symbol: sym,
    exchange: 'BINANCE',
    assetClass: 'crypto',
    timestampMicros: us,
    price,
    quantity,
    currency: 'USDT',
    side: id % 2n ? 'BUY' : 'SELL',
    tradeConditions: [],
    sourceSequence: id,
    ingestionTimestampMicros: us + 500n,
    platformSequence: id,
    vendorData: {},
  }
}

/** Pseudo-random exact price (6 integer digits, 8 fractional) and quantity (never zero). */
function randomTrade(sym: string, id: bigint, us: bigint): Trade {
  const r = mix(id * 131n + BigInt(sym.length))
  const price = `${2000n + (r % 3000n)}.${String((r / 7n) % 100_000_000n).padStart(8, '0')}`
  const quantity = `${(r / 11n) % 5n}.${String(((r / 13n) % 99_999_999n) + 1n).padStart(8, '0')}`
  return trade(sym, id, us, price, quantity)
}

function makeTradesForTest(): Trade[] {
  const out: Trade[] = []
  // ETHUSDT, trade ids increasing with time.
  let id = 1n
  const eth = (us: bigint, price: string, quantity: string): void => void out.push(trade(symbol, id++, us, price, quantity))
  for (let i = 0n; i < 5n; i++) out.push(randomTrade(symbol, id++, S + 10_000_000n + i * 1_000_000n)) // before `from`
  // Bar 1: a trade exactly at `from` (included); VWAP = 2.00000001 / 2 = 1.000000005, a tie: half up is 1.00000001.
  eth(from, '1.00000001', '1.00000000')
  eth(from + 1_000_000n, '1.00000000', '1.00000000')
  // Bar 2: one trade whose notional 2.5 × 0.00000001 = 0.000000025 is a tie: half up is 0.00000003 (half even: …02).
  eth(S + 2n * M + 5_000_000n, '2.50000000', '0.00000001')
  // Bars 3–6: a trade every 150 ms; each bar opens with two trades at the same µs (open is the
  // lower trade id's price, whatever order a reader meets them in); one quantity beyond 64 bits.
  for (let us = S + 3n * M; us < to - 150_000n; us += 150_000n) {
    if (us % M === 0n) {
      eth(us, '3000.12345678', '0.50000000')
      eth(us, '2999.87654321', '0.25000000')
    } else if (us === S + 3n * M + 30_000_000n) {
      eth(us, '2500.00000001', '123456789012.12345678')
    } else {
      out.push(randomTrade(symbol, id++, us + (mix(id) % 1000n)))
    }
  }
  eth(to - 1n, '2100.00000000', '0.00000003') // the last µs in range (committed after the pin)
  eth(to, '9999.99999999', '9.99999999') // exactly `to`: excluded
  for (let i = 1n; i <= 20n; i++) out.push(randomTrade(symbol, id++, to + i * 1_000_000n))
  // Two other symbols over the same minutes: the symbol filter must keep them out.
  for (const [k, other] of ['BTCUSDT', 'SOLUSDT'].entries()) {
    for (let i = 0n; i < 2600n; i++) out.push(randomTrade(other, i + 1n, S + i * 150_000n + BigInt(k)))
  }
  return out
}

/** The bars of `trades` in exact integer arithmetic: what both engines must return. */
function expectedBars(trades: readonly Trade[]): SparkBar[] {
  const bars = new Map<bigint, { open: bigint; close: bigint; high: bigint; low: bigint; volume: bigint; notional16: bigint; n: bigint; first: bigint; last: bigint }>()
  const inRange = trades.filter((t) => t.symbol === symbol && t.timestampMicros >= from && t.timestampMicros < to)
  for (const t of [...inRange].sort((a, b) => (a.tradeId < b.tradeId ? -1 : 1))) {
    const start = t.timestampMicros - (t.timestampMicros % M)
    const p = units(t.price)
    const q = units(t.quantity)
    const b = bars.get(start)
    if (!b) bars.set(start, { open: p, close: p, high: p, low: p, volume: q, notional16: p * q, n: 1n, first: t.tradeId, last: t.tradeId })
    else {
      b.close = p
      if (p > b.high) b.high = p
      if (p < b.low) b.low = p
      b.volume += q
      b.notional16 += p * q
      b.n++
      b.last = t.tradeId
    }
  }
  return [...bars]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([start, b]) => ({
      start,
      open: decimal8(b.open),
      high: decimal8(b.high),
      low: decimal8(b.low),
      close: decimal8(b.close),
      volume: decimal8(b.volume),
      notional: decimal8((b.notional16 + 50_000_000n) / 100_000_000n),
      vwap: decimal8((2n * b.notional16 + b.volume) / (2n * b.volume)),
      trades: b.n,
      first_trade_id: b.first,
      last_trade_id: b.last,
    }))
}

/** Our engine's rows in spark_bars.py's shape (start in µs). */
const asSparkBar = (r: BarRow): SparkBar => ({
  start: BigInt(r.start.getTime()) * 1000n,
  open: r.open,
  high: r.high,
  low: r.low,
  close: r.close,
  volume: r.volume,
  notional: r.notional,
  vwap: r.vwap,
  trades: r.trades,
  first_trade_id: r.firstTradeId,
  last_trade_id: r.lastTradeId,
})

let engine: QueryEngine | undefined

beforeAll(() => lake.setup(3))

afterAll(async () => {
  await engine?.close()
  await lake.teardown()
  fs.rmSync(workDir, { recursive: true, force: true })
  fs.rmSync(queryCache, { recursive: true, force: true })
})

describe('scale-out: Apache Spark reads the same Iceberg tables through the REST catalog', () => {
  it('computes the same 1-minute bars as our engine from the same pinned snapshot, exactly', async () => {
    // Fail at once, with the fix, when pyspark or the jars are missing (never skip).
    const check = JSON.parse(await sparkBars(['--check'])) as { pyspark: string }
    expect(check.pyspark.startsWith(`${sparkVersions.spark}.`), `pyspark ${check.pyspark} is not Spark ${sparkVersions.spark}: ${provisionHint}`).toBe(true)

    const all = makeTradesForTest()
    const before = all.filter((t) => t.timestampMicros < cut)
    const after = all.filter((t) => t.timestampMicros >= cut)
    expect(after.some((t) => t.symbol === symbol && t.timestampMicros < to)).toBe(true)

    // The sink commits the first part; the test pins that snapshot; then the rest is committed on top.
    const abort = new AbortController()
    let failure: unknown
    const run = runIcebergSink(
      { namespace, topics, tables, streams: ['trades'], groupId: uniqueName('sink'), maxRecords: 5000, maxAgeMs: 1000, rowGroupSize: 2000, workDir },
      { kafka, catalog, io, serde, logger: silentLogger, metrics: createMetrics() },
      abort.signal,
    )
    run.catch((err: unknown) => {
      failure = err
    })
    const committed = (n: number) => async (): Promise<true | undefined> => {
      if (failure) throw new FatalError(`the sink stopped: ${String(failure)}`, { cause: failure })
      return (await tableRecords(catalog, namespace, tables.trades)) === n ? true : undefined
    }
    let pinned: bigint
    try {
      await produceTrades(kafka, serde, topics.trades, before)
      await eventually(committed(before.length), 90_000, 'the sink to commit the first part')
      pinned = currentSnapshot((await catalog.loadTable([namespace], tables.trades)).metadata)!['snapshot-id']
      await produceTrades(kafka, serde, topics.trades, after)
      await eventually(committed(all.length), 90_000, 'the sink to commit the rest')
    } finally {
      abort.abort()
      await run.catch(() => undefined)
    }
    const latest = currentSnapshot((await catalog.loadTable([namespace], tables.trades)).metadata)!['snapshot-id']
    expect(latest).not.toBe(pinned)

    // Our engine at the pinned snapshot (and, for contrast, at the latest one).
    engine = await createQueryEngine({ namespace, topics, cacheDir: queryCache }, { catalog, io, kafka, serde, logger: silentLogger })
    const request = { symbol, from: new Date(Number(from / 1000n)), to: new Date(Number(to / 1000n)), interval: '1m' }
    const ours = await analytics.bars(engine, { ...request, snapshotId: pinned })
    const oursLatest = await analytics.bars(engine, { ...request, snapshotId: latest })
    expect(ours.boundaries.trades).toMatchObject({ snapshotId: pinned, table: `${namespace}.${tables.trades}` })
    expect(ours.boundaries.trades!.tail).toBeUndefined()

    // Spark at the same snapshot.
    const startedSpark = Date.now()
    const spark = parseLosslessJson(
      await sparkBars([
        '--catalog-uri',
        config.catalog.url,
        '--s3-endpoint',
        config.s3.endpoint,
        '--region',
        config.s3.region,
        '--namespace',
        namespace,
        '--table',
        tables.trades,
        '--snapshot-id',
        String(pinned),
        '--symbol',
        symbol,
        '--from-us',
        String(from),
        '--to-us',
        String(to),
        '--interval-us',
        String(M),
      ]),
      null,
      parseNumberAndBigInt,
    ) as SparkOutput
    console.info(`spark_bars.py: Spark ${spark.spark}, Iceberg ${spark.iceberg}, ${spark.bars.length} bars in ${((Date.now() - startedSpark) / 1000).toFixed(1)} s`)

    // Both read the pinned snapshot, which holds exactly the first part.
    expect(spark.snapshot).toEqual({ id: pinned, total_records: BigInt(before.length), rows: BigInt(before.length) })
    expect(spark.spark.startsWith(`${sparkVersions.spark}.`)).toBe(true)
    expect(spark.iceberg).toBe(sparkVersions.iceberg)

    // The bars: identical in every field, and equal to the exact bars of the trades in that snapshot.
    const expected = expectedBars(before)
    expect(expected.length).toBe(5)
    expect(ours.rows.map(asSparkBar), 'our engine vs the exact bars of the pinned trades').toEqual(expected)
    expect(spark.bars, 'Spark vs our engine').toEqual(ours.rows.map(asSparkBar))

    // The snapshot mattered: the latest one has the trades committed after the pin in the last bar.
    expect(oursLatest.rows.map(asSparkBar)).toEqual(expectedBars(all))
    expect(oursLatest.rows.map(asSparkBar)).not.toEqual(spark.bars)
  }, 420_000)
})
