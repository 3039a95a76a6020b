import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { KafkaMessage } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prng } from '../../support/prng'
import {
  TopicFolds,
  TopicTail,
  bindParameters,
  mergedBarsSql,
  partialBarsSql,
  partialLatestSql,
  silentLogger,
  tailColumns,
  tradesTable,
  type TableDesign,
  type TailStats,
  type Trade,
} from '../../../lib/internal'

// The Kafka tail's folds against the records they fold: for any offset range a query may read,
// the folded blocks it takes plus the records around them folded at query time must merge into
// the same bars and latest trades as all of its records folded at query time. The tail here is
// the real one over an in-process DuckDB, fed decoded trades by offset (no Kafka: the folds'
// logic is what is under test).

const symbols = ['BTCUSDT', 'ETHUSDT', 'DOGEUSDT']
const partitions = [0, 1]
const start = BigInt(Date.UTC(2026, 11, 5, 9, 0, 0)) * 1000n

let duck: DuckDBInstance
let conn: DuckDBConnection
let tail: TopicTail
let folds: TopicFolds
const trades: Trade[] = []
/** Per partition, offsets taken (gaps stand for transaction markers). */
const offsetsOf = new Map<number, number[]>()

function trade(i: number, random: () => number): Trade {
  const k = i % symbols.length
  const id = BigInt(1000 + i)
  return {
    messageId: `BINANCE:${symbols[k]}:${id}`,
    tradeId: id,
    symbol: symbols[k]!,
    exchange: 'BINANCE',
    assetClass: 'crypto',
    // ~40 trades a minute: a block cuts minutes, a minute spans blocks.
    timestampMicros: start + BigInt(i) * 1_500_000n,
    price: `${100 + k}.${String(Math.floor(random() * 1e8)).padStart(8, '0')}`,
    quantity: `0.${String(Math.floor(random() * 1e8) + 1).padStart(8, '0')}`,
    currency: 'USDT',
    side: random() < 0.5 ? 'BUY' : 'SELL',
    tradeConditions: [],
    sourceSequence: id,
    ingestionTimestampMicros: start + BigInt(i) * 1_500_000n + 500n,
    platformSequence: BigInt(i),
    vendorData: {},
  }
}

const rows = async (sql: string, params: Record<string, unknown> = {}): Promise<unknown[]> => {
  const prepared = await conn.prepare(sql)
  bindParameters(prepared, params as never)
  return (await prepared.runAndReadAll()).getRowObjectsJson()
}

/** Writes one read's bounds: [b, e) per partition, the folded run the tail says it takes. */
async function setBounds(range: ReadonlyMap<number, [number, number]>): Promise<number> {
  const from = new Map([...range].map(([p, [b]]) => [p, BigInt(b)]))
  const to = new Map([...range].map(([p, [, e]]) => [p, BigInt(e)]))
  const covered = folds.covered(from, to)
  await conn.run('DELETE FROM bounds')
  for (const [p, [b, e]] of range) {
    const f = covered.ranges.get(p)
    await conn.run(`INSERT INTO bounds VALUES ('s', 'T', ${p}, ${b}, ${e}, ${f!.from}, ${f!.to}, ${f!.headSeqFrom}, ${f!.headSeqTo}, ${f!.restSeqFrom})`)
  }
  return covered.records
}

beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  conn = await duck.connect()
  const table = 'k2_tail_0_T'
  const columns = tailColumns(tradesTable.schema)
  for (const sql of TopicTail.createSql(table, columns)) await conn.run(sql)
  await conn.run('CREATE TABLE bounds (scope VARCHAR, topic VARCHAR, p INTEGER, b BIGINT, e BIGINT, cl BIGINT, ch BIGINT, hs BIGINT, he BIGINT, rs BIGINT)')
  const stream = {
    topic: 'T',
    schema: tradesTable.schema,
    start: new Map<number, bigint>(),
    decode: async (value: Buffer) => trades[Number(value.toString())]!,
    row: (r: unknown) => (tradesTable as unknown as TableDesign<unknown>).row(r),
  }
  const stats: TailStats = { records: 0, skipped: 0, batches: 0, trimmed: 0, fastRecords: 0, rests: 0 }
  tail = new TopicTail(stream, table, await conn.createAppender(table), 64, stats, silentLogger)
  folds = new TopicFolds(
    tail,
    [
      { name: 'bars_1m', partialSql: partialBarsSql },
      { name: 'trades_latest', partialSql: partialLatestSql },
    ],
    0,
    silentLogger,
  )
  for (const sql of folds.createSql()) await conn.run(sql)

  // 1,200 trades over 30 minutes into two partitions, taken in batches of 1-60 and folded after
  // a random number of batches.
  const random = prng(11)
  const next = new Map(partitions.map((p) => [p, 0]))
  for (let i = 0; i < 1200; ) {
    const p = partitions[Math.floor(random() * partitions.length)]!
    const messages: KafkaMessage[] = []
    for (let n = 1 + Math.floor(random() * 60); n > 0 && i < 1200; n--, i++) {
      trades.push(trade(i, random))
      const offset = next.get(p)! + (random() < 0.1 ? 2 : 1)
      next.set(p, offset)
      messages.push({ offset: String(offset), value: Buffer.from(String(i)) } as KafkaMessage)
      offsetsOf.set(p, [...(offsetsOf.get(p) ?? []), offset])
    }
    await tail.take(p, messages)
    tail.append(false)
    if (random() < 0.3) await folds.fold(conn)
  }
  tail.flush()
})

afterAll(() => {
  tail.close()
  conn.closeSync()
  duck.closeSync()
})

describe('the Kafka tail folds', () => {
  it('split at a snapshot\'s offsets, so that a read from there to the last fold has every record in whole blocks and answers from them alone', async () => {
    const random = prng(23)
    const raw = (fold: (r: string) => string) =>
      fold(`(${tail.selectSql(`r.scope = 's' AND r.topic = 'T' AND t._partition = r.p AND t._offset >= r.b AND t._offset < r.e`, ['bounds r'])})`)
    const latest = (relation: string) => `SELECT symbol, max(trade_id) AS id, arg_max(price, trade_id) AS price, arg_max(event_time, trade_id) AS at FROM ${relation} GROUP BY symbol ORDER BY symbol`
    let split = 0
    for (let k = 0; k < 40; k++) {
      // A snapshot's offsets inside the folded records; reads from it to each partition's last folded record.
      const range = new Map<number, [number, number]>()
      for (const p of partitions) {
        const offsets = offsetsOf.get(p)!
        const whole = folds.covered(new Map([[p, 0n]]), new Map([[p, BigInt(offsets[offsets.length - 1]! + 1)]])).ranges.get(p)!
        const inBlocks = offsets.filter((o) => o >= Number(whole.from) && o < Number(whole.to))
        range.set(p, [inBlocks[Math.floor(random() * inBlocks.length)]!, Number(whole.to)])
      }
      const at = new Map([...range].map(([p, [b]]) => [p, BigInt(b)]))
      const before = folds.covered(at, new Map([...range].map(([p, [, e]]) => [p, BigInt(e)])))
      await folds.splitAt(conn, at)
      const records = [...range].reduce((n, [p, [b, e]]) => n + tail.offsets.get(p)!.countBetween(b, e), 0)
      const folded = await setBounds(range)
      // Every record of the read is in whole blocks now (before, the records up to the next block were not).
      expect(folded).toBe(records)
      if (folded > before.records) split++
      const viaBlocks = await rows(mergedBarsSql(`(${folds.boundedSql('bars_1m', 'bounds', 's', false)})`), { step: 60_000_000n, limit: 10_000n })
      expect(viaBlocks, `bars from ${JSON.stringify([...range])}`).toEqual(await rows(mergedBarsSql(`(${raw(partialBarsSql)})`), { step: 60_000_000n, limit: 10_000n }))
      expect(await rows(latest(`(${folds.boundedSql('trades_latest', 'bounds', 's', false)})`))).toEqual(await rows(latest(`(${raw(partialLatestSql)})`)))
    }
    expect(split, 'most snapshots fell inside a block').toBeGreaterThan(20)
  })

  it('give, with the records around them, the same bars and latest trades as every record folded at query time (split blocks too)', async () => {
    const random = prng(5)
    const raw = (fold: (r: string) => string) =>
      fold(`(${tail.selectSql(`r.scope = 's' AND r.topic = 'T' AND t._partition = r.p AND t._offset >= r.b AND t._offset < r.e`, ['bounds r'])})`)
    let foldedReads = 0
    for (let k = 0; k < 120; k++) {
      const range = new Map<number, [number, number]>()
      for (const p of partitions) {
        const offsets = offsetsOf.get(p)!
        const a = offsets[Math.floor(random() * offsets.length)]!
        const b = offsets[Math.floor(random() * offsets.length)]! + 1
        range.set(p, [Math.min(a, b), Math.max(a, b)])
      }
      const folded = await setBounds(range)
      if (folded > 0) foldedReads++
      for (const step of [60_000_000n, 300_000_000n]) {
        const viaFolds = await rows(mergedBarsSql(`(${folds.boundedSql('bars_1m', 'bounds', 's')})`), { step, limit: 10_000n })
        const viaRecords = await rows(mergedBarsSql(`(${raw(partialBarsSql)})`), { step, limit: 10_000n })
        expect(viaFolds, `bars of ${step} µs over ${JSON.stringify([...range])}`).toEqual(viaRecords)
      }
      const latest = (relation: string) => `SELECT symbol, max(trade_id) AS id, arg_max(price, trade_id) AS price, arg_max(event_time, trade_id) AS at FROM ${relation} GROUP BY symbol ORDER BY symbol`
      expect(await rows(latest(`(${folds.boundedSql('trades_latest', 'bounds', 's')})`))).toEqual(await rows(latest(`(${raw(partialLatestSql)})`)))
    }
    expect(foldedReads, 'most ranges hold whole blocks').toBeGreaterThan(60)
  })

  it('take whole blocks only, never one the range cuts or one beyond a gap', async () => {
    const offsets = offsetsOf.get(0)!
    const all = new Map([[0, BigInt(offsets[0]!)]])
    const end = new Map([[0, BigInt(offsets[offsets.length - 1]! + 1)]])
    const whole = folds.covered(all, end)
    // Every record of the partition up to the last fold is folded.
    expect(whole.records).toBeGreaterThan(offsets.length / 2)
    const run = whole.ranges.get(0)!
    // A range starting one past the first block's start takes none of the first block.
    const later = folds.covered(new Map([[0, run.from + 1n]]), end).ranges.get(0)
    expect(later === undefined || later.from > run.from).toBe(true)
    // A range ending inside the run stops at a block's end at or before it.
    const cut = folds.covered(all, new Map([[0, run.to - 1n]])).ranges.get(0)
    expect(cut === undefined || cut.to <= run.to - 1n).toBe(true)
  })

  it('forget the blocks a trim reaches, and delete their rows', async () => {
    const offsets = offsetsOf.get(1)!
    const cutAt = BigInt(offsets[Math.floor(offsets.length / 2)]!)
    const end = new Map([[1, BigInt(offsets[offsets.length - 1]! + 1)]])
    for (const sql of folds.trim(new Map([[1, cutAt]]))) await conn.run(sql)
    const after = folds.covered(new Map([[1, 0n]]), end).ranges.get(1)
    expect(after === undefined || after.from >= cutAt).toBe(true)
    const left = (await rows(`SELECT count(*) AS n FROM ${folds.tableOf('bars_1m')} WHERE _partition = 1 AND _lo < ${cutAt}`)) as Array<{ n: string }>
    expect(Number(left[0]!.n)).toBe(0)
  })
})
