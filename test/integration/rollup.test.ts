import * as fs from 'node:fs'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCode,
  appendFiles,
  compactTable,
  createManifestReader,
  createParquetDataWriter,
  createRestCatalogClient,
  createWarehouseFileIO,
  currentSnapshot,
  ensureTable,
  isWorkbenchError,
  latestTradesRollup,
  latestTradesTable,
  minuteBarsRollup,
  minuteBarsTable,
  rollupRound,
  schemaById,
  specById,
  tradesTable,
  type TableHandle,
  type Trade,
} from '../../lib/internal'
import { prng } from '../support/prng'
import { scratchDir, stackConfig, uniqueName } from './helpers'
import { compareRollupsWithTrades, dropLake } from './lake-helpers'

// The rollups against the trades they fold, on the running catalog and object store: after
// appends that cut minutes apart, late trades, a compaction of the source and two writers racing,
// merged rollup bars equal bars computed from the raw trades at the source snapshot the rollup
// says it holds, field for field, at every whole-minute interval, and so do the latest trades.

const config = stackConfig()
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('rollup', '_')
const manifests = createManifestReader(io)
const source: TableHandle = { catalog, io, namespace: [namespace], name: 'trades', manifests }
const target: TableHandle = { catalog, io, namespace: [namespace], name: minuteBarsTable.name, manifests }
const workDir = scratchDir('rollup-work')
let duck: DuckDBInstance
let conn: DuckDBConnection

const symbols = ['BTCUSDT', 'ETHUSDT', 'DOGEUSDT']
const start = Date.UTC(2026, 11, 5, 9, 52) // the trades cross an hour: compaction groups by hour
const next = prng(19)
const lastId = new Map(symbols.map((s, i) => [s, BigInt(10_000_000 * (i + 1))]))
const lastPrice = new Map(symbols.map((s, i) => [s, [6_701_250_000_000n, 312_045_000_000n, 1_234_567n][i]!]))
let clockUs = BigInt(start) * 1000n
let late: Trade[] = []
let seq = 0n

const dec = (units: bigint): string => `${units / 100_000_000n}.${(units % 100_000_000n).toString().padStart(8, '0')}`

/** The next `n` trades in arrival order: time order, but 3% held back and delivered in the next batch (a repair). */
function arrivals(n: number): Trade[] {
  const out: Trade[] = [...late]
  late = []
  for (let i = 0; i < n; i++) {
    clockUs += BigInt(Math.floor(next() * 900_000) + 1)
    const symbol = symbols[Math.floor(next() * symbols.length)]!
    const id = lastId.get(symbol)! + 1n
    lastId.set(symbol, id)
    const price = lastPrice.get(symbol)! + BigInt(Math.round((next() - 0.5) * 2_000_000))
    lastPrice.set(symbol, price > 1n ? price : 1n)
    const trade: Trade = {
      messageId: `BINANCE:${symbol}:${id}`,
      tradeId: id,
      symbol,
      exchange: 'BINANCE',
      assetClass: 'crypto',
      timestampMicros: clockUs,
      price: dec(lastPrice.get(symbol)!),
      quantity: dec(BigInt(Math.floor(next() ** 4 * 1e15)) + 1n),
      currency: 'USDT',
      side: next() < 0.5 ? 'BUY' : 'SELL',
      tradeConditions: [],
      sourceSequence: id,
      ingestionTimestampMicros: clockUs + 500n,
      platformSequence: seq++,
      vendorData: {},
    }
    if (next() < 0.03) late.push(trade)
    else out.push(trade)
  }
  return out
}

let committed = 0
/** One sink-like append of `trades` with offsets in its summary, as the sink commits a batch. */
async function commitTrades(trades: readonly Trade[]): Promise<void> {
  const loaded = await catalog.loadTable([namespace], 'trades')
  const meta = loaded.metadata
  const dir = path.join(workDir, `batch-${committed}`)
  const writer = await createParquetDataWriter({ connection: conn, schema: schemaById(meta), spec: specById(meta), sortOrder: meta['sort-orders'].find((o) => o['order-id'] === meta['default-sort-order-id'])!, workDir: dir })
  try {
    writer.append(trades.map((t) => tradesTable.row(t)))
    const files = []
    for (const w of await writer.writeFiles()) {
      const filePath = `${meta.location}/data/${w.relativePath}`
      await io.write(filePath, fs.readFileSync(w.localPath))
      files.push({ ...w.dataFile, filePath })
    }
    committed += trades.length
    await appendFiles(source, files, { 'k2.kafka.topic': 'rollup-test', 'k2.kafka.offsets': `0:${committed}` })
  } finally {
    await writer.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The rollups against the trades at the snapshot they hold: bars field for field at five intervals, and the latest trades. */
async function expectRollupExact(): Promise<{ bars: number; trades: number }> {
  const r = await compareRollupsWithTrades(catalog, io, namespace, ['1m', '3m', '5m', '15m', '1h'])
  let checked = 0
  for (const b of r.bars) {
    expect(b.fromRollup.length, `bars at ${b.interval}`).toBe(b.fromTrades.length)
    expect(b.fromRollup, `rollup bars at ${b.interval} equal bars from the trades at source snapshot ${r.sourceSnapshotId}`).toEqual(b.fromTrades)
    checked += b.fromTrades.length
  }
  expect(r.latest.fromRollup.length).toBe(symbols.length)
  expect(r.latest.fromRollup).toEqual(r.latest.fromTrades)
  return { bars: checked, trades: r.trades }
}

beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  conn = await duck.connect()
  await catalog.ensureNamespace([namespace])
  await ensureTable(catalog, namespace, 'trades', tradesTable)
  await ensureTable(catalog, namespace, minuteBarsTable.name, minuteBarsTable)
  await ensureTable(catalog, namespace, latestTradesTable.name, latestTradesTable)
})

afterAll(async () => {
  conn?.closeSync()
  duck?.closeSync()
  await dropLake(catalog, namespace, ['trades', minuteBarsTable.name, latestTradesTable.name])
  io.close()
  fs.rmSync(workDir, { recursive: true, force: true })
})

const latestTarget: TableHandle = { catalog, io, namespace: [namespace], name: latestTradesTable.name, manifests }
/** A round of each rollup, as the maintenance worker runs them; the bars' round is returned. */
const round = async () => {
  const bars = await rollupRound(minuteBarsRollup, source, target, { connection: conn, workDir, maxAppends: 3 })
  const latest = await rollupRound(latestTradesRollup, source, latestTarget, { connection: conn, workDir, maxAppends: 3 })
  expect(latest.sourceSnapshotId, 'both rollups hold the same source snapshot after a round each').toBe(bars.sourceSnapshotId)
  return bars
}

describe('one-minute rollup (trades_bars_1m)', () => {
  it('equals bars from the raw trades at its source snapshot, through appends, late trades, a compaction and a racing writer', async () => {
    for (let b = 0; b < 3; b++) await commitTrades(arrivals(400))
    const first = await round()
    expect(first.plan).toBe('all')
    expect(first.sourceRows).toBe(committed)
    const a = await expectRollupExact()
    expect(a.trades).toBe(committed)

    // Seven more batches: rounds of at most three appends catch up in steps.
    for (let b = 0; b < 7; b++) await commitTrades(arrivals(300))
    const steps: string[] = []
    for (let r = await round(); r.plan !== 'current'; r = await round()) steps.push(`${r.plan}:${r.sourceFiles}`)
    expect(steps.length, `catch-up rounds ${steps.join(' ')}`).toBe(3)
    const b = await expectRollupExact()
    expect(b.trades).toBe(committed)

    // A compaction of the source rewrites rows the rollup holds: the rollup adds nothing for it.
    const sourceBefore = currentSnapshot((await catalog.loadTable([namespace], 'trades')).metadata)!['snapshot-id']
    const compacted = await compactTable(source, conn, { targetFileBytes: 64 * 2 ** 20, workDir, openHourMinFiles: 2 })
    expect(compacted.filesIn, 'the compaction rewrote files').toBeGreaterThan(0)
    expect(currentSnapshot((await catalog.loadTable([namespace], 'trades')).metadata)!['snapshot-id']).not.toBe(sourceBefore)
    expect((await round()).plan).toBe('current')

    // Two writers race over the same new appends: one commits, the other's commit is refused.
    for (let b = 0; b < 2; b++) await commitTrades(arrivals(300))
    const conn2 = await duck.connect()
    try {
      const raced = await Promise.allSettled([round(), rollupRound(minuteBarsRollup, source, target, { connection: conn2, workDir: `${workDir}-2`, maxAppends: 3 })])
      // One folds the appends; the other is refused, or (had it looked after that commit) found nothing to do.
      const won = raced.filter((r) => r.status === 'fulfilled' && r.value.plan !== 'current')
      for (const r of raced) if (r.status === 'rejected') expect(isWorkbenchError(r.reason, ErrorCode.Conflict), String(r.reason)).toBe(true)
      expect(won.length, 'exactly one racer folded the new appends').toBe(1)
    } finally {
      conn2.closeSync()
    }
    expect((await round()).plan).toBe('current')
    const c = await expectRollupExact()
    expect(c.trades).toBe(committed)
    expect(c.bars).toBeGreaterThan(100)
  })
})
