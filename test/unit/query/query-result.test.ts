import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrowTableOf, rowsOf } from '../../../lib/query/query-result'

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
