import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrowTableOf, columnsOfChunks, decimalText, decimalTextOfNumber, readChunks, rowsOf, rowsOfChunks } from '../../../lib/internal'

let duck: DuckDBInstance
let db: DuckDBConnection
beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  db = await duck.connect()
})
afterAll(() => {
  db.closeSync()
  duck.closeSync()
})

async function result(sql: string) {
  const reader = await db.runAndReadAll(sql)
  const names = reader.deduplicatedColumnNames()
  const types = reader.columnTypes()
  const columns = reader.getColumns()
  return { rows: rowsOf(names, types, columns, reader.currentRowCount), arrow: arrowTableOf(names, types, columns, reader.currentRowCount) }
}

describe('query results', () => {
  it('keeps decimals exact, 64-bit ids as bigint and timestamps as µs in Arrow', async () => {
    const { rows, arrow } = await result(`
      SELECT * FROM (VALUES
        (CAST('67012.12345678' AS DECIMAL(18, 8)), CAST('123456789012345678901234.00000001' AS DECIMAL(38, 8)), 9007199254740993::BIGINT, TIMESTAMPTZ '2026-11-22 10:00:00.123456+00', ['a', 'b'], 1.5::DOUBLE, 'x', true, DATE '2026-11-22'),
        (NULL, CAST('-0.00000001' AS DECIMAL(38, 8)), NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      ) AS t(price, qty, id, ts, tags, f, s, b, d)`)
    expect(rows[0]).toMatchObject({ price: '67012.12345678', qty: '123456789012345678901234.00000001', id: 9007199254740993n, tags: ['a', 'b'], f: 1.5, s: 'x', b: true })
    expect((rows[0]!.ts as Date).toISOString()).toBe('2026-11-22T10:00:00.123Z')
    expect(rows[1]).toMatchObject({ price: null, qty: '-0.00000001', id: null, ts: null })

    expect(arrow.numRows).toBe(2)
    const type = (name: string): string => String(arrow.schema.fields.find((f) => f.name === name)!.type)
    expect(type('price')).toBe('Decimal[18e+8]')
    expect(type('ts')).toMatch(/Timestamp<MICROSECOND, UTC>/)
    expect(arrow.getChild('id')!.get(0)).toBe(9007199254740993n)
    expect(arrow.getChild('id')!.get(1)).toBeNull()
    expect(arrow.getChild('ts')!.get(0)).toBe(Date.UTC(2026, 10, 22, 10, 0, 0, 123) + 0.456)
    expect(arrow.getChild('price')!.get(1)).toBeNull()
    // Decimal128 words: the unscaled value, little-endian two's complement.
    const words = (v: unknown): bigint => {
      const w = v as Uint32Array
      let x = 0n
      for (let i = 3; i >= 0; i--) x = (x << 32n) | BigInt(w[i]!)
      return BigInt.asIntN(128, x)
    }
    expect(words(arrow.getChild('price')!.get(0))).toBe(6701212345678n)
    expect(words(arrow.getChild('qty')!.get(1))).toBe(-1n)
    expect(arrow.getChild('tags')!.get(0)!.toArray()).toEqual(['a', 'b'])
    expect(arrow.getChild('d')!.get(0)).toBe(Date.UTC(2026, 10, 22))
  })
})

describe('rows straight from result chunks', () => {
  it('gives the same rows as the per-value conversion, over several chunks, every decimal width and sign, times before 1970 and nulls', async () => {
    const sql = `SELECT i::BIGINT AS id,
                        CAST(i * 7919 - 50000000 AS DECIMAL(18, 8)) / 1000 AS small,
                        CAST((i - 2500) * 1234567891 AS DECIMAL(38, 8)) AS wide,
                        CAST(i % 99 AS DECIMAL(4, 2)) AS tiny,
                        CAST((i - 2500) * 31 AS DECIMAL(38, 16)) / 7 AS scale16,
                        CAST(i AS DECIMAL(9, 0)) AS whole,
                        make_timestamptz((i - 2500) * 1000003) AS ts,
                        CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || i END AS s,
                        CASE WHEN i % 5 = 0 THEN NULL ELSE CAST(i AS DECIMAL(18, 8)) END AS maybe,
                        -- around ±2^53 scaled and up to the int64 ends: the exact bigint route
                        CASE WHEN i % 2 = 0 THEN CAST(printf('%d.%08d', (9007199254740992 + (i - 2500) * 1001) // 100000000, (9007199254740992 + (i - 2500) * 1001) % 100000000) AS DECIMAL(18, 8)) ELSE -CAST(printf('%d.%08d', (9007199254740992 + (i - 2500) * 1001) // 100000000, (9007199254740992 + (i - 2500) * 1001) % 100000000) AS DECIMAL(18, 8)) END AS near53,
                        CAST(printf('%d.%08d', (i * 199999999999999) // 100000000, (i * 199999999999999) % 100000000) AS DECIMAL(18, 8)) AS spread64,
                        CAST(CASE WHEN i % 2 = 0 THEN 9223372036854775807 - i ELSE -9223372036854775807 + i END AS BIGINT) AS edge,
                        (i - 2500)::INTEGER AS int32,
                        CASE WHEN i % 11 = 0 THEN NULL ELSE (i - 2500) / 3.0 END::DOUBLE AS dbl,
                        -- short strings repeating (the inline cache), long ones, several bytes per character
                        ['buy', 'sell', 'BTCUSDT', 'ETHUSDT', 'twelve-bytes', ''][i % 6 + 1] AS short,
                        CASE WHEN i % 3 = 0 THEN 'a string longer than twelve bytes ' || i WHEN i % 3 = 1 THEN 'é€' || (i % 13) ELSE '🙂' END AS long_or_wide
                   FROM range(5000) AS t(i)`
    const reader = await db.runAndReadAll(sql)
    const expected = rowsOf(reader.deduplicatedColumnNames(), reader.columnTypes(), reader.getColumns(), reader.currentRowCount)
    const prepared = await db.prepare(sql)
    const r = await prepared.run()
    const { chunks, rows } = await readChunks(r, 1_000_000)
    expect(chunks.length, 'several chunks').toBeGreaterThan(1)
    expect(rows).toBe(5000)
    const got = rowsOfChunks(r.deduplicatedColumnNames(), r.columnTypes(), chunks, rows)
    expect(got).toEqual(expected)
    // The Arrow side reads the same columns.
    expect(columnsOfChunks(chunks, 16)[2]!.length).toBe(5000)
  })

  it('stops reading once it holds more than the rows asked for, and cuts the rows there', async () => {
    const r = await (await db.prepare('SELECT i FROM range(100000) t(i)')).run()
    const { chunks, rows } = await readChunks(r, 3000)
    expect(rows).toBeGreaterThan(3000)
    expect(rows).toBeLessThan(100000)
    expect(rowsOfChunks(['i'], r.columnTypes(), chunks, 3000).map((x) => Number(x.i))).toEqual(Array.from({ length: 3000 }, (_, i) => i))
  })

  it('formats scaled decimals exactly', () => {
    expect(decimalTextOfNumber(6701250000000, 8)).toBe('67012.50000000')
    expect(decimalTextOfNumber(-1, 8)).toBe('-0.00000001')
    expect(decimalTextOfNumber(0, 2)).toBe('0.00')
    expect(decimalTextOfNumber(-123, 0)).toBe('-123')
    expect(decimalTextOfNumber(Number.MAX_SAFE_INTEGER, 8)).toBe(decimalText(BigInt(Number.MAX_SAFE_INTEGER), 8))
    expect(decimalTextOfNumber(-Number.MAX_SAFE_INTEGER, 15)).toBe(decimalText(-BigInt(Number.MAX_SAFE_INTEGER), 15))
    expect(decimalText(6701250000000n, 8)).toBe('67012.50000000')
    expect(decimalText(-1n, 8)).toBe('-0.00000001')
    expect(decimalText(0n, 2)).toBe('0.00')
    expect(decimalText(-123n, 0)).toBe('-123')
    expect(decimalText(10n ** 30n + 5n, 16)).toBe('100000000000000.0000000000000005')
    // Scales past 15 (a sum of price × quantity is DECIMAL(38, 16)): these read as NaN once.
    expect(decimalTextOfNumber(226959148972000, 16)).toBe('0.0226959148972000')
    expect(decimalTextOfNumber(-5, 38)).toBe(`-0.${'5'.padStart(38, '0')}`)
    expect(decimalTextOfNumber(Number.MAX_SAFE_INTEGER, 16)).toBe(decimalText(BigInt(Number.MAX_SAFE_INTEGER), 16))
    expect(decimalTextOfNumber(Number.MAX_SAFE_INTEGER, 22)).toBe(decimalText(BigInt(Number.MAX_SAFE_INTEGER), 22))
    expect(decimalTextOfNumber(Number.MAX_SAFE_INTEGER, 30)).toBe(decimalText(BigInt(Number.MAX_SAFE_INTEGER), 30))
  })

  it('reads decimals of every scale as DuckDB prints them, small and large', async () => {
    const sql = `SELECT v FROM (VALUES (CAST(0.0226959148972 AS DECIMAL(38, 16))), (CAST(-0.0000000000000001 AS DECIMAL(38, 16))), (CAST(123456789012345678901.25 AS DECIMAL(38, 16))), (CAST(0.5 AS DECIMAL(38, 16)))) t(v)`
    for (const scale of [16, 18, 22, 30, 37]) {
      const typed = sql.replaceAll('DECIMAL(38, 16)', `DECIMAL(38, ${scale})`).replace('123456789012345678901.25', scale > 17 ? '1.25' : '123456789012345678901.25')
      const r = await (await db.prepare(typed)).run()
      const { chunks, rows } = await readChunks(r, 100)
      const got = rowsOfChunks(['v'], r.columnTypes(), chunks, rows).map((x) => x.v)
      const printed = (await (await db.prepare(`SELECT CAST(v AS VARCHAR) AS v FROM (${typed})`)).runAndReadAll()).getRows().map((x) => x[0])
      expect(got, `DECIMAL(38, ${scale})`).toEqual(printed)
    }
  })
})
