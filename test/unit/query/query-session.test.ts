import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionOf, tailBoundsTable } from '../../../lib/internal'

let duck: DuckDBInstance
let conn: DuckDBConnection
beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  conn = await duck.connect()
  await conn.run(`CREATE TABLE tail (_partition INTEGER, _offset BIGINT, v INTEGER)`)
  await conn.run(`INSERT INTO tail SELECT i % 2, i // 2, i FROM range(20) t(i)`)
})
afterAll(() => {
  conn.closeSync()
  duck.closeSync()
})

const sumOf = async (sql: string): Promise<string> => String((await (await sessionOf(conn).prepared(sql)).runAndReadAll()).getRows()[0]![0])

describe('a connection’s query session', () => {
  it('declares a view only when its text changed, and a statement kept before a view changed reads the new view', async () => {
    const s = sessionOf(conn)
    expect(await s.view('lake', 'SELECT 1 AS x')).toBe(true)
    expect(await s.view('lake', 'SELECT 1 AS x')).toBe(false)
    const sql = 'SELECT sum(x) FROM lake'
    expect(await sumOf(sql)).toBe('1')
    const first = await s.prepared(sql)
    expect(await s.prepared(sql)).toBe(first)
    // A view over no catalog table (as read_parquet is): DuckDB would not re-bind a statement on it.
    expect(await s.view('lake', 'SELECT 1 AS x UNION ALL SELECT 41')).toBe(true)
    expect(await sumOf(sql)).toBe('42')
  })

  it('gives each reader of a topic its own ranges, read when the query runs', async () => {
    const s = sessionOf(conn)
    const view = (scope: string): string => `SELECT t.v FROM tail t, ${tailBoundsTable} r WHERE r.scope = '${scope}' AND r.topic = 'T' AND t._partition = r.p AND t._offset >= r.b AND t._offset < r.e`
    await s.tailBounds([])
    await s.view('a', view('a'))
    await s.view('b', view('b'))
    const bounds = (scope: string, begin: bigint, end: bigint) => [0, 1].map((partition) => ({ scope, topic: 'T', partition, begin, end, foldedFrom: begin, foldedTo: begin, headSeqFrom: 0n, headSeqTo: 0n, restSeqFrom: 0n }))
    await s.tailBounds([...bounds('a', 0n, 2n), ...bounds('b', 5n, 10n)])
    // a: offsets 0–1 of both partitions are values 0..3; b: offsets 5–9 are values 10..19.
    expect(await sumOf('SELECT sum(v) FROM a')).toBe('6')
    expect(await sumOf('SELECT sum(v) FROM b')).toBe(String([...Array(10).keys()].reduce((x, i) => x + 10 + i, 0)))
    // The next query's ranges replace the last one's, without declaring the views again.
    await s.tailBounds(bounds('a', 9n, 10n))
    expect(await s.view('a', view('a'))).toBe(false)
    expect(await sumOf('SELECT sum(v) FROM a')).toBe('37')
  })

  it('keeps a bounded number of statements and prepares a forgotten one afresh', async () => {
    const s = sessionOf(conn)
    const first = await s.prepared('SELECT 1')
    for (let i = 0; i < 70; i++) await s.prepared(`SELECT ${i + 2}`)
    expect(await s.prepared('SELECT 1')).not.toBe(first)
    const again = await s.prepared('SELECT 2000')
    s.forget('SELECT 2000')
    expect(await s.prepared('SELECT 2000')).not.toBe(again)
  })
})
