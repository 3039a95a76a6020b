import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api'

/**
 * What one pooled connection keeps between queries, so that a query whose tables have not
 * changed since the last one on this connection re-declares nothing and re-plans nothing:
 *
 * - its views, by text: a table's view changes when its snapshot's files do (a commit, every
 *   30 s or so), not from query to query;
 * - the Kafka tail's ranges, in a temp table the views read when the query runs
 *   (`tailBoundsTable`), so that the high-water mark each query takes does not change the views;
 * - its prepared statements, by SQL text, until a view changes.
 *
 * Declaring the views and preparing took 2–6 ms of a 6–25 ms query (bench:peers, 2026-12-05).
 * A connection serves one query at a time (the pool), so none of this is shared.
 */
export interface QuerySession {
  readonly connection: DuckDBConnection
  /** Creates or replaces the temp view `name` unless this connection holds it with this text already; true when it ran. */
  view(name: string, sql: string): Promise<boolean>
  /** Sets the tail's ranges of the given topics, as `tailBoundsTable` rows, for the query about to run. */
  tailBounds(rows: readonly TailBound[]): Promise<void>
  /** The statement prepared for `sql` on this connection, prepared now when it is not kept. */
  prepared(sql: string): Promise<DuckDBPreparedStatement>
  /** Forgets a statement (after it failed: the next query prepares afresh). */
  forget(sql: string): void
}

/**
 * One partition's tail range for a query: offsets [begin, end) of `topic`, read by the view
 * `scope`, of which [foldedFrom, foldedTo) are read as folded blocks (tail-folds.ts; none when
 * they are equal). The records of [begin, foldedFrom) have `_seq` in [headSeqFrom, headSeqTo),
 * those of [foldedTo, end) from restSeqFrom on (0: no bound).
 */
export interface TailBound {
  readonly scope: string
  readonly topic: string
  readonly partition: number
  readonly begin: bigint
  readonly end: bigint
  readonly foldedFrom: bigint
  readonly foldedTo: bigint
  readonly headSeqFrom: bigint
  readonly headSeqTo: bigint
  readonly restSeqFrom: bigint
}

/** The temp table the views' tail parts read their ranges from (columns scope, topic, p, b, e, cl, ch, hs, he, rs). */
export const tailBoundsTable = 'k2_tail_bounds'

/** Statements kept per connection; the least recently used goes first. */
const keptStatements = 64

const sessions = new WeakMap<DuckDBConnection, QuerySession>()

/** The session of a connection (made at its first query). */
export function sessionOf(conn: DuckDBConnection): QuerySession {
  let s = sessions.get(conn)
  if (!s) sessions.set(conn, (s = createSession(conn)))
  return s
}

function createSession(conn: DuckDBConnection): QuerySession {
  const views = new Map<string, string>()
  const statements = new Map<string, DuckDBPreparedStatement>()
  let boundsReady: Promise<unknown> | undefined
  // The bounds are rewritten whole by two statements prepared once (the INSERT per row count):
  // 0.35 ms a query, where an INSERT OR REPLACE on a keyed table took 1.2.
  let lastBounds = ''
  let clearBounds: DuckDBPreparedStatement | undefined
  const insertBounds = new Map<number, DuckDBPreparedStatement>()
  return {
    connection: conn,
    async view(name, sql) {
      if (views.get(name) === sql) return false
      views.delete(name)
      // DuckDB re-binds a prepared statement when a catalog it reads changed, but a view of
      // read_parquet() reads none: a kept statement would go on reading the old files. So a new
      // view drops every kept statement.
      for (const statement of statements.values()) statement.destroySync()
      statements.clear()
      await conn.run(`CREATE OR REPLACE TEMP VIEW ${name} AS ${sql}`)
      views.set(name, sql)
      return true
    },
    async tailBounds(rows) {
      boundsReady ??= conn.run(`CREATE TEMP TABLE IF NOT EXISTS ${tailBoundsTable} (scope VARCHAR, topic VARCHAR, p INTEGER, b BIGINT, e BIGINT, cl BIGINT, ch BIGINT, hs BIGINT, he BIGINT, rs BIGINT)`)
      await boundsReady
      // Only this query's views read the table, so it holds this query's rows alone.
      const key = rows.map((r) => `${r.scope}|${r.topic}|${r.partition}|${r.begin}|${r.end}|${r.foldedFrom}|${r.foldedTo}|${r.headSeqFrom}|${r.headSeqTo}|${r.restSeqFrom}`).join(';')
      if (key === lastBounds) return
      lastBounds = ''
      clearBounds ??= await conn.prepare(`DELETE FROM ${tailBoundsTable}`)
      await clearBounds.run()
      if (rows.length > 0) {
        const insert = insertBounds.get(rows.length) ?? (await conn.prepare(`INSERT INTO ${tailBoundsTable} VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`))
        insertBounds.set(rows.length, insert)
        rows.forEach((r, i) => {
          const at = 10 * i
          insert.bindVarchar(at + 1, r.scope)
          insert.bindVarchar(at + 2, r.topic)
          insert.bindInteger(at + 3, r.partition)
          for (const [k, v] of [r.begin, r.end, r.foldedFrom, r.foldedTo, r.headSeqFrom, r.headSeqTo, r.restSeqFrom].entries()) insert.bindBigInt(at + 4 + k, v)
        })
        await insert.run()
      }
      lastBounds = key
    },
    async prepared(sql) {
      const kept = statements.get(sql)
      if (kept) {
        statements.delete(sql)
        statements.set(sql, kept)
        return kept
      }
      const statement = await conn.prepare(sql)
      statements.set(sql, statement)
      if (statements.size > keptStatements) {
        const oldest = statements.keys().next().value!
        statements.get(oldest)!.destroySync()
        statements.delete(oldest)
      }
      return statement
    },
    forget(sql) {
      statements.get(sql)?.destroySync()
      statements.delete(sql)
    },
  }
}
