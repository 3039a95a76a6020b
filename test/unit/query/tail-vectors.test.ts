import { BIGINT, DECIMAL, DuckDBDataChunk, DuckDBDecimalValue, DuckDBInstance, TIMESTAMPTZ, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBVector } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { StringDictionary, writeExactIntegers, writeStrings, type IntegerWidth } from '../../../lib/internal'

/** Values round the edges: zero, ±1, the 32-bit word boundaries, ±(2^53 - 1), bigints beyond, nulls. */
const values: Array<number | bigint | null> = [
  0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 6_701_250_000_000, -6_701_250_000_000,
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null, 2n ** 53n, -(2n ** 53n) - 5n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n, null, 42,
]

/**
 * A table t (i, v) of `rows` rows appended as one DataChunk, its v vector written by `write` (which
 * returns whether it took the fast path), and a query over it; the database closes after `read`.
 */
async function appended<T>(type: DuckDBType, sqlType: string, rows: number, write: (vector: DuckDBVector) => boolean, read: (conn: DuckDBConnection) => Promise<T>): Promise<{ fast: boolean; read: T }> {
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  await conn.run(`CREATE TABLE t (i INTEGER, v ${sqlType})`)
  const appender = await conn.createAppender('t')
  const chunk = DuckDBDataChunk.create([BIGINT, type], rows)
  const index = chunk.getColumnVector(0)
  for (let i = 0; i < rows; i++) index.setItem(i, BigInt(i) as never)
  index.flush()
  const vector = chunk.getColumnVector(1)
  const fast = write(vector)
  vector.flush()
  appender.appendDataChunk(chunk)
  appender.flushSync()
  appender.closeSync()
  try {
    return { fast, read: await read(conn) }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

async function roundTrip(type: DuckDBType, sqlType: string, width: IntegerWidth, input: ReadonlyArray<number | bigint | null>, box: (v: bigint) => unknown): Promise<{ fast: boolean; read: Array<string | null> }> {
  // Read back as the unscaled integer text, exact whatever the type.
  const unscaled = sqlType.startsWith('DECIMAL') ? `(v::DECIMAL(38, 8) * ${10 ** Number(/, (\d+)/.exec(sqlType)![1])})::HUGEINT::VARCHAR` : 'v::VARCHAR'
  return appended(type, sqlType, input.length, (vector) => writeExactIntegers(vector, input, input.length, width, box), async (conn) =>
    (await conn.runAndReadAll(`SELECT ${unscaled} FROM t ORDER BY i`)).getRows().map((r) => (r[0] === null ? null : String(r[0]))),
  )
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
    const { fast, read } = await appended(VARCHAR, 'VARCHAR', codes.length, (vector) => writeStrings(vector, codes, codes.length, d), async (conn) => ({
      rows: (await conn.runAndReadAll("SELECT v, v = 'BTCUSDT', length(v) FROM t ORDER BY i")).getRows(),
      // Grouped, inline copies of one value are one group, as strings DuckDB wrote itself would be.
      groups: (await conn.runAndReadAll("SELECT v, count(*)::INTEGER FROM (SELECT v FROM t UNION ALL SELECT 'BTCUSDT') WHERE v = 'BTCUSDT' GROUP BY v")).getRows(),
    }))
    expect(fast).toBe(true)
    expect(read.rows.map((r) => r[0])).toEqual([...strings, null, 'BTCUSDT'])
    expect(read.rows.map((r) => r[1])).toEqual([...strings.map((s) => s === 'BTCUSDT'), null, true])
    expect(read.rows.map((r) => r[2])).toEqual([...strings.map((s) => BigInt([...s].length)), null, 7n])
    expect(read.groups).toEqual([['BTCUSDT', 4]])
  })

  it('TIMESTAMPTZ: µs written as words read back exactly', async () => {
    // The last beyond 2^53, through setItem.
    const micros = [0, 1_733_400_000_123_456, -1, null, 2n ** 53n + 1n]
    const { fast, read } = await roundTrip(TIMESTAMPTZ, 'TIMESTAMPTZ', 8, micros, (v) => ({ micros: v }))
    expect(fast).toBe(true)
    expect(read).toEqual(['1970-01-01 00:00:00+00', '2024-12-05 12:00:00.123456+00', '1969-12-31 23:59:59.999999+00', null, '2255-06-05 23:47:34.740993+00'])
  })
})
