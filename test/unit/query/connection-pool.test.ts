import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { createConnectionPool } from '../../../lib/internal'

const fakeDuck = (): DuckDBInstance => {
  let n = 0
  return { connect: async () => ({ id: n++ }) as unknown as DuckDBConnection } as unknown as DuckDBInstance
}

describe('connection pool: queries past its size wait their turn', () => {
  it('opens its connections up front and hands each to one query at a time', async () => {
    const pool = await createConnectionPool(fakeDuck(), 2)
    expect(pool.connections).toHaveLength(2)
    const a = await pool.acquire()
    const b = await pool.acquire()
    expect(a).not.toBe(b)
    let third: DuckDBConnection | undefined
    void pool.acquire().then((c) => (third = c))
    await Promise.resolve()
    expect(third).toBeUndefined()
    pool.release(a)
    await Promise.resolve()
    expect(third).toBe(a)
  })

  it('waiting queries are served first come, first served', async () => {
    const pool = await createConnectionPool(fakeDuck(), 1)
    const c = await pool.acquire()
    const order: string[] = []
    const first = pool.acquire().then((x) => (order.push('first'), x))
    const second = pool.acquire().then((x) => (order.push('second'), x))
    pool.release(c)
    pool.release(await first)
    await second
    expect(order).toEqual(['first', 'second'])
  })
})
