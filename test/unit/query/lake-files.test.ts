import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lakeFilesSql, type Schema } from '../../../lib/internal'

/**
 * The engine reads a data file by name when its footer says it has exactly the table's columns
 * (names, field ids, types, in order), and by field id otherwise (D84). Real Parquet files with
 * field ids, written here by DuckDB: one as the table is now, and three a name-based read would
 * get wrong (a column renamed since, a column promoted int → long since, and two columns whose
 * names were swapped by renames).
 */
let dir: string
let duck: DuckDBInstance
let c: DuckDBConnection

const schema: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'trade_id', required: true, type: 'long' },
    { id: 2, name: 'price', required: true, type: 'double' },
    { id: 3, name: 'qty', required: true, type: 'double' },
  ],
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-lake-files-'))
  duck = await DuckDBInstance.create(':memory:')
  c = await duck.connect()
  const write = (name: string, select: string, ids: string): Promise<unknown> => c.run(`COPY (${select}) TO '${path.join(dir, `${name}.parquet`)}' (FORMAT parquet, FIELD_IDS {${ids}})`)
  await write('current', 'SELECT 1::BIGINT AS trade_id, 1.5::DOUBLE AS price, 0.1::DOUBLE AS qty', 'trade_id: 1, price: 2, qty: 3')
  await write('renamed', 'SELECT 2::BIGINT AS trade_id, 2.5::DOUBLE AS px, 0.2::DOUBLE AS qty', 'trade_id: 1, px: 2, qty: 3')
  await write('promoted', 'SELECT 3::INTEGER AS trade_id, 3.5::DOUBLE AS price, 0.3::DOUBLE AS qty', 'trade_id: 1, price: 2, qty: 3')
  // Field 2 was once called qty and field 3 price: the names and types match today's, the ids do not.
  await write('swapped', 'SELECT 4::BIGINT AS trade_id, 0.4::DOUBLE AS price, 4.5::DOUBLE AS qty', 'trade_id: 1, price: 3, qty: 2')
})

afterAll(() => {
  c.closeSync()
  duck.closeSync()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function read(names: readonly string[]): Promise<{ sql: string; rows: unknown[] }> {
  const local = names.map((n) => path.join(dir, `${n}.parquet`))
  const plan = { schema, files: names.map(() => ({ specId: 0, partition: [] })) } as unknown as Parameters<typeof lakeFilesSql>[1]
  const sql = await lakeFilesSql(c, plan, local, undefined)
  return { sql, rows: (await c.runAndReadAll(`SELECT trade_id, price, qty FROM (${sql}) ORDER BY trade_id`)).getRowObjectsJson() }
}

describe('lakeFilesSql', () => {
  it('reads a file with the table’s columns by name, without a field-id map', async () => {
    const { sql, rows } = await read(['current'])
    expect(sql).not.toContain('schema = map')
    expect(rows).toEqual([{ trade_id: '1', price: 1.5, qty: 0.1 }])
  })

  it('reads files written under an older schema by field id, beside one read by name', async () => {
    const { sql, rows } = await read(['current', 'renamed', 'promoted', 'swapped'])
    expect(sql.match(/schema = map/g)).toHaveLength(1)
    expect(sql).toContain(`read_parquet(['${path.join(dir, 'current.parquet')}'], hive_partitioning = false)`)
    expect(rows).toEqual([
      { trade_id: '1', price: 1.5, qty: 0.1 },
      { trade_id: '2', price: 2.5, qty: 0.2 },
      { trade_id: '3', price: 3.5, qty: 0.3 },
      { trade_id: '4', price: 4.5, qty: 0.4 },
    ])
  })
})
