import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prng } from '../../support/prng'
import { analytics, bindParameters, mergedBarsSql, minuteBarsTable, partialBarColumns, partialBarsSql, rollupAnswers, type Queryable, type QueryResult } from '../../../lib/internal'

// Trades with exact decimals, split into commit batches that cut minutes apart, then bars two
// ways: bars() over the trades, and the partial bars of each batch merged. They must agree
// field for field at every interval made of whole minutes.

let duck: DuckDBInstance
let conn: DuckDBConnection

/** The analytics' bars() over this connection (parameters bound as the engine binds them). */
const queryable: Queryable = {
  query: (async (sql: string, options: { params?: Record<string, unknown> } = {}) => {
    const prepared = await conn.prepare(sql)
    bindParameters(prepared, (options.params ?? {}) as never)
    const reader = await prepared.runAndReadAll()
    return { rows: reader.getRowObjectsJson() } as unknown as QueryResult
  }) as Queryable['query'],
}

const rows = async (sql: string, params: Record<string, unknown> = {}): Promise<unknown[]> => {
  const prepared = await conn.prepare(sql)
  bindParameters(prepared, params as never)
  return (await prepared.runAndReadAll()).getRowObjectsJson()
}

const start = Date.UTC(2026, 11, 5, 9, 0, 0) // a whole hour
const minutes = 75
const symbols = ['BTCUSDT', 'ETHUSDT', 'DOGEUSDT']
let tradeCount = 0
let partialCount = 0

beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  conn = await duck.connect()
  await conn.run(`CREATE TABLE trades (seq BIGINT, symbol VARCHAR, trade_id BIGINT, event_time TIMESTAMPTZ, price DECIMAL(18, 8), quantity DECIMAL(38, 8))`)
  const next = prng(7)
  const appender = await conn.createAppender('trades')
  const ids = new Map(symbols.map((s, i) => [s, BigInt(1_000_000 * (i + 1))]))
  const prices = new Map(symbols.map((s, i) => [s, [6_701_250_000_000n, 312_045_000_000n, 1_234_567n][i]!]))
  // Arrival order is time order with jitter: batches cut minutes and symbols at random points.
  for (let us = BigInt(start) * 1000n; us < BigInt(start + minutes * 60_000) * 1000n; us += BigInt(Math.floor(next() * 700_000) + 1)) {
    const symbol = symbols[Math.floor(next() * symbols.length)]!
    const id = ids.get(symbol)! + 1n
    ids.set(symbol, id)
    // A random walk in units of 10^-8, and quantities from dust to large (up to 10^7).
    const price = prices.get(symbol)! + BigInt(Math.round((next() - 0.5) * 2_000_000))
    prices.set(symbol, price > 1n ? price : 1n)
    const quantity = BigInt(Math.floor(next() ** 4 * 1e15)) + 1n
    const dec = (units: bigint): string => `${units / 100_000_000n}.${(units % 100_000_000n).toString().padStart(8, '0')}`
    // Arrival: mostly in time order; 3% arrive ~800 trades late (a REST repair), so a batch's id
    // ranges interleave with its neighbours'.
    appender.appendBigInt(BigInt(tradeCount++ * 10 + (next() < 0.03 ? 8000 : 0)))
    appender.appendVarchar(symbol)
    appender.appendBigInt(id)
    appender.appendVarchar(new Date(Number(us / 1000n)).toISOString().replace('Z', `${(us % 1000n).toString().padStart(3, '0')}+00`))
    appender.appendVarchar(dec(prices.get(symbol)!))
    appender.appendVarchar(dec(quantity))
    appender.endRow()
  }
  appender.closeSync()

  // Commit batches of about 1 to 400 trades in arrival order, each rolled up on its own.
  const columns = minuteBarsTable.schema.fields.map((f) => `${f.name} ${f.type === 'string' ? 'VARCHAR' : f.type === 'timestamptz' ? 'TIMESTAMPTZ' : f.type === 'long' ? 'BIGINT' : String(f.type).toUpperCase()}`)
  await conn.run(`CREATE TABLE partials (${columns.join(', ')})`)
  for (let from = 0; from < tradeCount * 10 + 8000; ) {
    const to = from + 10 + Math.floor(next() * 4000)
    await conn.run(`INSERT INTO partials ${partialBarsSql(`(SELECT * FROM trades WHERE seq >= ${from} AND seq < ${to})`)}`)
    from = to
  }
  partialCount = Number(((await rows('SELECT count(*)::INTEGER AS n FROM partials'))[0] as { n: number }).n)
})

afterAll(() => {
  conn?.closeSync()
  duck?.closeSync()
})

describe('one-minute partial bars', () => {
  it('selects the rollup table columns in schema order', async () => {
    const [row] = (await rows(`${partialBarsSql('trades')} LIMIT 1`)) as Array<Record<string, unknown>>
    expect(Object.keys(row!)).toEqual(partialBarColumns)
  })

  it.each(['1m', '5m', '15m', '1h'])('merge into the same %s bars as the trades give, field for field', async (interval) => {
    const from = new Date(start)
    const to = new Date(start + minutes * 60_000)
    const step = analytics.parseInterval(interval)
    expect(rollupAnswers(step, from.getTime(), to.getTime())).toEqual({ fromMs: from.getTime(), toMs: to.getTime() })
    const expected = (await analytics.bars(queryable, { from, to, interval })).rows
    const merged = await rows(mergedBarsSql('partials', ['minute >= $from', 'minute < $to']), { from, to, step, limit: 100_000 })
    expect(merged).toEqual(expected)
    // Several symbols, minutes split across batches: the merge did real work.
    expect(expected.length).toBeGreaterThanOrEqual(symbols.length * Math.floor(minutes / Number(step / 60_000_000n)))
    expect(partialCount).toBeGreaterThan(minutes * symbols.length * 1.5)
    expect(expected.reduce((n, r) => n + Number((r as unknown as { trades: string }).trades), 0)).toBe(tradeCount)
  })

  it('merges for one symbol and a sub-range of whole minutes', async () => {
    const from = new Date(start + 7 * 60_000)
    const to = new Date(start + 31 * 60_000)
    const step = analytics.parseInterval('3m')
    const expected = (await analytics.bars(queryable, { from, to, interval: '3m', symbol: 'ETHUSDT' })).rows
    const merged = await rows(mergedBarsSql('partials', ['minute >= $from', 'minute < $to', 'list_contains($symbols, symbol)']), { from, to, step, limit: 100_000, symbols: ['ETHUSDT'] })
    expect(merged).toEqual(expected)
    expect(merged.length).toBe(9) // 3-minute buckets from the epoch: 09:06 (its 09:07–09:09 part) to 09:30 (its first minute)
  })

  it('answers intervals of whole minutes over the whole minutes a range holds', () => {
    expect(rollupAnswers(analytics.parseInterval('30s'), start, start + 3_600_000)).toBeUndefined()
    expect(rollupAnswers(analytics.parseInterval('90s'), start, start + 3_600_000)).toBeUndefined()
    expect(rollupAnswers(analytics.parseInterval('1m'), start + 1, start + 3_600_000)).toEqual({ fromMs: start + 60_000, toMs: start + 3_600_000 })
    expect(rollupAnswers(analytics.parseInterval('1m'), start, start + 3_599_999)).toEqual({ fromMs: start, toMs: start + 3_540_000 })
    expect(rollupAnswers(analytics.parseInterval('2m'), start, start + 3_600_000)).toEqual({ fromMs: start, toMs: start + 3_600_000 })
    // No whole minute inside: the trades answer.
    expect(rollupAnswers(analytics.parseInterval('1m'), start + 1, start + 59_999)).toBeUndefined()
    expect(rollupAnswers(analytics.parseInterval('1m'), start + 30_000, start + 90_000)).toBeUndefined()
  })
})

describe('bars() through the rollup', () => {
  // The same views the engine gives: bars_1m (partials) and trades. With `readable`, bars() reads
  // the rollup (and the trades of the minutes a range cuts); without, the trades alone.
  const viaRollup: Queryable = { ...queryable, readable: (t) => t === 'bars_1m' }
  let sqlSeen = ''
  const spying: Queryable = { query: ((sql: string, o: never) => ((sqlSeen = sql), viaRollup.query(sql, o))) as Queryable['query'], readable: viaRollup.readable }

  beforeAll(async () => {
    await conn.run(`CREATE VIEW bars_1m AS SELECT *, 'lake' AS _source FROM partials`)
  })

  it.each([
    ['whole minutes', 0, minutes * 60_000, '1m', undefined],
    ['cut at both ends', 17_250, 61 * 60_000 + 42_001, '5m', undefined],
    ['cut at the start, one symbol', 3 * 60_000 + 1, 40 * 60_000, '1h', 'DOGEUSDT'],
    ['cut at the end', 60_000, 44 * 60_000 + 59_999, '15m', undefined],
  ] as const)('gives the bars the trades give: %s', async (_what, fromOffset, toOffset, interval, symbol) => {
    const request = { from: new Date(start + fromOffset), to: new Date(start + toOffset), interval, ...(symbol ? { symbol } : {}) }
    const expected = (await analytics.bars(queryable, request)).rows
    const got = (await analytics.bars(spying, request)).rows
    expect(sqlSeen, 'bars() read the rollup').toMatch(/FROM bars_1m/)
    expect(got).toEqual(expected)
    expect(expected.length).toBeGreaterThan(0)
  })

  it('reads the trades when the engine says the rollup is not exact now', async () => {
    const request = { from: new Date(start), to: new Date(start + 60 * 60_000), interval: '1m' }
    await analytics.bars({ query: spying.query, readable: () => false }, request)
    expect(sqlSeen).not.toMatch(/bars_1m/)
  })
})
