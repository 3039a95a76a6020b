import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'

/** DuckDB connections for queries: one per query at a time; a query past the pool's size waits its turn, first come first served. */
export interface ConnectionPool {
  acquire(): Promise<DuckDBConnection>
  release(c: DuckDBConnection): void
  /** Every connection of the pool, idle or not (to close them). */
  readonly connections: readonly DuckDBConnection[]
}

export async function createConnectionPool(duck: DuckDBInstance, size: number): Promise<ConnectionPool> {
  const connections: DuckDBConnection[] = []
  const idle: DuckDBConnection[] = []
  const queue: Array<(c: DuckDBConnection) => void> = []
  for (let i = 0; i < size; i++) {
    const c = await duck.connect()
    connections.push(c)
    idle.push(c)
  }
  return {
    connections,
    acquire() {
      const c = idle.pop()
      if (c) return Promise.resolve(c)
      return new Promise((resolve) => queue.push(resolve))
    },
    release(c) {
      const next = queue.shift()
      if (next) next(c)
      else idle.push(c)
    },
  }
}
