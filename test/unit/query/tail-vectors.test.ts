import { BIGINT, DECIMAL, DuckDBDataChunk, DuckDBDecimalValue, DuckDBInstance, TIMESTAMPTZ, VARCHAR, type DuckDBType } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { StringDictionary, writeExactIntegers, writeStrings, type IntegerWidth } from '../../../lib/internal'

/** Values round the edges: zero, ±1, the 32-bit word boundaries, ±(2^53 - 1), bigints beyond, nulls. */
const values: Array<number | bigint | null> = [
  0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 6_701_250_000_000, -6_701_250_000_000,
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null, 2n ** 53n, -(2n ** 53n) - 5n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n, null, 42,
]

async function roundTrip(type: DuckDBType, sqlType: string, width: IntegerWidth, input: ReadonlyArray<number | bigint | null>, box: (v: bigint) => unknown): Promise<{ fast: boolean; read: Array<string | null> }> {
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  await conn.run(`CREATE TABLE t (i INTEGER, v ${sqlType})`)
  const appender = await conn.createAppender('t')
  const chunk = DuckDBDataChunk.create([BIGINT, type], input.length)
  const index = chunk.getColumnVector(0)
  input.forEach((_, i) => index.setItem(i, BigInt(i) as never))
  index.flush()
  const vector = chunk.getColumnVector(1)
  const fast = writeExactIntegers(vector, input, input.length, width, box)
  vector.flush()
  appender.appendDataChunk(chunk)
  appender.flushSync()
  appender.closeSync()
  // Read back as the unscaled integer text, exact whatever the type.
  const unscaled = sqlType.startsWith('DECIMAL') ? `(v::DECIMAL(38, 8) * ${10 ** Number(/, (\d+)/.exec(sqlType)![1])})::HUGEINT::VARCHAR` : 'v::VARCHAR'
  const rows = (await conn.runAndReadAll(`SELECT ${unscaled} FROM t ORDER BY i`)).getRows()
  conn.closeSync()
  db.closeSync()
  return { fast, read: rows.map((r) => (r[0] === null ? null : String(r[0]))) }
}

const expected = (input: ReadonlyArray<number | bigint | null>): Array<string | null> => input.map((v) => (v === null ? null : String(v)))

describe('writing the tail\'s exact integers into DuckDB vectors', () => {
  it('BIGINT: numbers written as words and bigints through setItem read back exactly, nulls as NULL', async () => {
    const { fast, read } = await roundTrip(BIGINT, 'BIGINT', 8, values, (v) => v)
    expect(fast).toBe(true)
    expect(read).toEqual(expected(values))
  })

  it('DECIMAL(18, 8): unscaled values exactly', async () => {
    const fits = values.filter((v) => v === null || (BigInt(v) < 10n ** 18n && BigInt(v) > -(10n ** 18n)))
    const box = new DuckDBDecimalValue(0n, 18, 8)
    const { fast, read } = await roundTrip(DECIMAL(18, 8), 'DECIMAL(18, 8)', 8, fits, (v) => ((box as { value: bigint }).value = v, box))
    expect(fast).toBe(true)
    expect(read).toEqual(expected(fits))
  })

  it('DECIMAL(38, 8): negative numbers sign-extended to 128 bits, 28-digit bigints exact', async () => {
    const wide = [...values, 1234567890123456789012345678n, -9999999999999999999999999999n]
    const box = new DuckDBDecimalValue(0n, 38, 8)
    const { fast, read } = await roundTrip(DECIMAL(38, 8), 'DECIMAL(38, 8)', 16, wide, (v) => ((box as { value: bigint }).value = v, box))
    expect(fast).toBe(true)
    expect(read).toEqual(expected(wide))
  })
})

describe('writing the tail\'s dictionary strings into DuckDB vectors', () => {
  it('short strings copied inline, long ones, non-ASCII and nulls through setItem: all read back as written, and compare as DuckDB\'s own', async () => {
    const d = new StringDictionary()
    const strings = ['BTCUSDT', '', 'BINANCE', 'x'.repeat(12), 'x'.repeat(13), 'é'.repeat(6), 'é'.repeat(7), 'BUY', 'a long venue name of forty characters ..', 'BTCUSDT', 'SELL']
    const codes = [...strings.map((s) => d.code(s)), null, d.code('BTCUSDT')]
    const db = await DuckDBInstance.create(':memory:')
    const conn = await db.connect()
    await conn.run('CREATE TABLE t (i INTEGER, v VARCHAR)')
    const appender = await conn.createAppender('t')
    // A chunk of the full vector size, as the tail appends: the rows past n are never read.
    const chunk = DuckDBDataChunk.create([BIGINT, VARCHAR], codes.length)
    const index = chunk.getColumnVector(0)
    codes.forEach((_, i) => index.setItem(i, BigInt(i) as never))
    index.flush()
    const vector = chunk.getColumnVector(1)
    expect(writeStrings(vector, codes, codes.length, d)).toBe(true)
    vector.flush()
    appender.appendDataChunk(chunk)
    appender.flushSync()
    appender.closeSync()
    const rows = (await conn.runAndReadAll('SELECT v, v = \'BTCUSDT\', length(v) FROM t ORDER BY i')).getRows()
    expect(rows.map((r) => r[0])).toEqual([...strings, null, 'BTCUSDT'])
    expect(rows.map((r) => r[1])).toEqual([...strings.map((s) => s === 'BTCUSDT'), null, true])
    expect(rows.map((r) => r[2])).toEqual([...strings.map((s) => BigInt([...s].length)), null, 7n])
    // Grouped, inline copies of one value are one group, as strings DuckDB wrote itself would be.
    const groups = (await conn.runAndReadAll("SELECT v, count(*)::INTEGER FROM (SELECT v FROM t UNION ALL SELECT 'BTCUSDT') WHERE v = 'BTCUSDT' GROUP BY v")).getRows()
    expect(groups).toEqual([['BTCUSDT', 4]])
    conn.closeSync()
    db.closeSync()
  })

  it('TIMESTAMPTZ: µs written as words read back exactly', async () => {
    const micros = [0, 1_733_400_000_123_456, -1, null, 2n ** 60n]
    const { fast, read } = await roundTrip(TIMESTAMPTZ, 'TIMESTAMPTZ', 8, micros, (v) => ({ micros: v }))
    expect(fast).toBe(true)
    expect(read.map((r) => r)).toEqual(['1970-01-01 00:00:00+00', '2024-12-05 12:00:00.123456+00', '1969-12-31 23:59:59.999999+00', null, expect.any(String)])
  })
})
