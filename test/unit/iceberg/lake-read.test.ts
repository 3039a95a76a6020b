import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readLakeFilesSql, type PartitionSpec, type Schema } from '../../../lib/internal'

/**
 * Reading data files as the Iceberg spec says, for files other engines write: identity partition
 * columns come from the partition tuple (DuckDB and pyiceberg's add_files leave them out of the
 * files), a column added later reads as its v3 initial-default, and names DuckDB cannot tell apart
 * are refused. Real Parquet files with field ids, written here by DuckDB.
 */
let dir: string
let duck: DuckDBInstance
let c: DuckDBConnection

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-lake-read-'))
  duck = await DuckDBInstance.create(':memory:')
  c = await duck.connect()
  // Files hold ids 1 (trade_id) and 2 (price) only: no symbol (3), no venue (4).
  // A file with no field ids, its price column under an old name (px).
  await c.run(`COPY (SELECT 7::BIGINT AS trade_id, 2.5::DOUBLE AS px) TO '${path.join(dir, 'noids.parquet')}' (FORMAT parquet)`)
  for (const [name, ids] of [['a', [1, 2]], ['b', [3, 4, 5]], ['c', [6]]] as const) {
    await c.run(`COPY (SELECT unnest([${ids.join(', ')}])::BIGINT AS trade_id, 1.5::DOUBLE AS price) TO '${path.join(dir, `${name}.parquet`)}' (FORMAT parquet, FIELD_IDS {trade_id: 1, price: 2})`)
  }
})

afterAll(() => {
  c.closeSync()
  duck.closeSync()
  fs.rmSync(dir, { recursive: true, force: true })
})

const schema: Schema = {
  type: 'struct',
  'schema-id': 1,
  fields: [
    { id: 1, name: 'trade_id', required: true, type: 'long' },
    { id: 2, name: 'price', required: true, type: 'double' },
    { id: 3, name: 'symbol', required: false, type: 'string' },
    { id: 4, name: 'venue', required: false, type: 'string', 'initial-default': 'BINANCE' },
  ],
}
const bySymbol: PartitionSpec = { 'spec-id': 1, fields: [{ 'source-id': 3, 'field-id': 1000, name: 'symbol', transform: 'identity' }] }
const unpartitioned: PartitionSpec = { 'spec-id': 0, fields: [] }
const file = (name: string, specId: number, partition: Array<string | null>): { local: string; specId: number; partition: Array<string | null> } => ({ local: path.join(dir, `${name}.parquet`), specId, partition })

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await c.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>
}

describe('readLakeFilesSql', () => {
  it('reads identity partition columns from the partition tuple when the files leave them out', async () => {
    const sql = readLakeFilesSql([file('a', 1, ['BTCUSDT']), file('b', 1, ['ETHUSDT']), file('c', 1, [null])], schema, [unpartitioned, bySymbol])
    expect(await rows(`SELECT symbol, count(*)::INTEGER AS n FROM (${sql}) GROUP BY symbol ORDER BY symbol NULLS LAST`)).toEqual([
      { symbol: 'BTCUSDT', n: 2 },
      { symbol: 'ETHUSDT', n: 3 },
      { symbol: null, n: 1 },
    ])
    expect(await rows(`SELECT trade_id::INTEGER AS id FROM (${sql}) WHERE symbol = 'ETHUSDT' ORDER BY id`)).toEqual([{ id: 3 }, { id: 4 }, { id: 5 }])
  })

  it('reads a column added after the files were written as its initial-default (v3), others as NULL', async () => {
    const sql = readLakeFilesSql([file('a', 0, [])], schema, [unpartitioned, bySymbol])
    expect(await rows(`SELECT venue, symbol FROM (${sql}) LIMIT 1`)).toEqual([{ venue: 'BINANCE', symbol: null }])
    // Defaults of several types in one read.
    const more: Schema = { ...schema, fields: [...schema.fields, { id: 6, name: 'lot', required: false, type: 'long', 'initial-default': 100 }, { id: 7, name: 'listed', required: false, type: 'date', 'initial-default': '2017-11-16' }] }
    const typed = readLakeFilesSql([file('a', 0, [])], more, [unpartitioned])
    expect(await rows(`SELECT lot::INTEGER AS lot, listed::VARCHAR AS listed, venue FROM (${typed}) LIMIT 1`)).toEqual([{ lot: 100, listed: '2017-11-16', venue: 'BINANCE' }])
  })

  it('reads a table without identity partitions in one read_parquet', () => {
    const sql = readLakeFilesSql([file('a', 0, []), file('b', 0, []), file('c', 0, [])], schema, [unpartitioned])
    expect(sql.match(/read_parquet\(/g)).toHaveLength(1)
  })

  it('reads files without field ids by the name mapping (the first mapped name the file has), with files that have ids', async () => {
    const mapping = [
      { 'field-id': 1, names: ['trade_id'] },
      { 'field-id': 2, names: ['price', 'px'] },
      { 'field-id': 3, names: ['symbol'] },
    ]
    const noIds = { ...file('noids', 0, []), withoutFieldIds: ['trade_id', 'px'] }
    const sql = readLakeFilesSql([file('a', 0, []), noIds], schema, [unpartitioned], mapping)
    expect(await rows(`SELECT trade_id::INTEGER AS id, price, venue FROM (${sql}) ORDER BY id`)).toEqual([
      { id: 1, price: 1.5, venue: 'BINANCE' },
      { id: 2, price: 1.5, venue: 'BINANCE' },
      { id: 7, price: 2.5, venue: 'BINANCE' },
    ])
    // Without a mapping, matching today's names could read another column's old data: refused.
    expect(() => readLakeFilesSql([noIds], schema, [unpartitioned])).toThrow(/no Parquet field ids and the table has no schema.name-mapping.default/)
  })

  it('refuses columns that differ only by case, naming them', () => {
    const twin: Schema = { ...schema, fields: [...schema.fields, { id: 5, name: 'Price', required: false, type: 'double' }] }
    expect(() => readLakeFilesSql([file('a', 0, [])], twin, [unpartitioned])).toThrow(/"price" and "Price", which differ only by case/)
  })
})
