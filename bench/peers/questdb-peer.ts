import type { DuckDBConnection } from '@duckdb/node-api'
import { sqlString } from '../../lib/internal'
import type { QuestDbClient } from './questdb-client'
import type { PeerParams } from './peer-queries'

/**
 * QuestDB as bench:peers loads and asks it: tables with exact DECIMAL columns (QuestDB 9.2) and a
 * designated timestamp, partitioned by day, filled over its line protocol (its own fast path;
 * decimals in ILP's text form `67012.50000000d`), and the eight questions in its own idiom
 * (SAMPLE BY, LATEST ON, ASOF JOIN). Answers come back over REST with decimals as exact strings.
 */

const tables = {
  trades: {
    create: 'CREATE TABLE trades (symbol SYMBOL CAPACITY 256, trade_id LONG, price DECIMAL(18, 8), quantity DECIMAL(38, 8), ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL',
    select: 'SELECT symbol, trade_id, epoch_us(event_time), CAST(price AS VARCHAR), CAST(quantity AS VARCHAR)',
    line: (r: readonly unknown[]) => `trades,symbol=${String(r[0])} trade_id=${String(r[1])}i,price=${String(r[3])}d,quantity=${String(r[4])}d ${String(r[2])}000\n`,
  },
  quotes: {
    // DOUBLE, not DECIMAL: QuestDB 9.2.0 answers "Internal server error" to a join whose
    // projection names a DECIMAL column, and the quotes are only ever joined.
    create: 'CREATE TABLE quotes (symbol SYMBOL CAPACITY 256, update_id LONG, bid_price DOUBLE, bid_size DOUBLE, ask_price DOUBLE, ask_size DOUBLE, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL',
    select: 'SELECT symbol, update_id, epoch_us(event_time), CAST(bid_price AS VARCHAR), CAST(bid_size AS VARCHAR), CAST(ask_price AS VARCHAR), CAST(ask_size AS VARCHAR)',
    line: (r: readonly unknown[]) => `quotes,symbol=${String(r[0])} update_id=${String(r[1])}i,bid_price=${String(r[3])},bid_size=${String(r[4])},ask_price=${String(r[5])},ask_size=${String(r[6])} ${String(r[2])}000\n`,
  },
} as const

/**
 * Creates the two tables afresh and streams the Parquet files into them over ILP (in time order,
 * as a feed arrives), then waits until QuestDB has applied every row. Returns the rows loaded.
 */
export async function loadQuestDb(db: QuestDbClient, duck: DuckDBConnection, files: { readonly trades: readonly string[]; readonly quotes: readonly string[] }): Promise<{ trades: number; quotes: number }> {
  const loaded = { trades: 0, quotes: 0 }
  for (const name of ['trades', 'quotes'] as const) {
    const t = tables[name]
    await db.exec(`DROP TABLE IF EXISTS ${name}`)
    await db.exec(t.create)
    const result = await duck.stream(`${t.select} FROM read_parquet([${files[name].map(sqlString).join(', ')}]) ORDER BY event_time`)
    let buffer = ''
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      for (const row of chunk.getRows()) buffer += t.line(row)
      loaded[name] += chunk.rowCount
      if (buffer.length > 4_000_000) {
        await db.write(buffer)
        buffer = ''
      }
    }
    if (buffer) await db.write(buffer)
  }
  for (const name of ['trades', 'quotes'] as const) {
    for (const started = Date.now(); ; ) {
      const n = Number((await db.exec(`SELECT count() FROM ${name}`)).rows[0]?.[0] ?? 0)
      if (n === loaded[name]) break
      if (Date.now() - started > 600_000) throw new Error(`QuestDB applied ${n} of ${loaded[name]} ${name} rows in 10 minutes`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return loaded
}

const iso = (us: number): string => {
  const ms = Math.floor(us / 1000)
  return `'${new Date(ms).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z'`
}
const sym = (p: PeerParams): string => {
  const s = String(p.symbol)
  if (!/^[A-Z0-9]{1,20}$/.test(s)) throw new Error(`symbol ${s} is not upper-case letters and digits`)
  return `'${s}'`
}
const range = (p: PeerParams, column = 'ts'): string => `${column} >= ${iso(Number(p.from_us))} AND ${column} < ${iso(Number(p.to_us))}`
const vwap = 'cast(sum(price * quantity) AS double) / cast(sum(quantity) AS double)'
const bars = (p: PeerParams, where: string, every: string): string =>
  `SELECT symbol, ts, first(price), max(price), min(price), last(price), sum(quantity), count(), ${vwap} FROM trades WHERE ${where} SAMPLE BY ${every} ALIGN TO CALENDAR ORDER BY symbol, ts`
// Filters in WHERE of the join, not in subqueries: QuestDB 9.2.0 fails an ASOF JOIN ON (symbol)
// of two subqueries (a ClassCastException of the symbol column). A quote older than quote_from
// cannot be picked: the bench's quotes are seconds apart, and the check compares the answers.
const asof = (p: PeerParams, symbolFilter: string): string =>
  `trades t ASOF JOIN quotes q ON (symbol) WHERE ${symbolFilter}${range(p, 't.ts')}`

/**
 * The eight questions in QuestDB's SQL. Open and close are first() and last() in time order:
 * the lowest and highest trade id, as trade ids rise with time per symbol in the bench data.
 * Every value in the text is a number or a checked symbol (QuestDB's REST takes no parameters).
 */
export const questDbSql: Readonly<Record<string, (p: PeerParams) => string>> = {
  recent_trades: (p) => `SELECT trade_id, ts, price, quantity FROM trades WHERE symbol = ${sym(p)} AND ${range(p)} ORDER BY trade_id DESC LIMIT ${Number(p.limit)}`,
  symbol_time_filter: (p) => `SELECT trade_id, ts, price, quantity FROM trades WHERE symbol = ${sym(p)} AND ${range(p)} ORDER BY trade_id LIMIT ${Number(p.limit)}`,
  bars_1h_1m: (p) => bars(p, `symbol = ${sym(p)} AND ${range(p)}`, '1m'),
  bars_24h_all: (p) => bars(p, range(p), '1h'),
  latest_per_symbol: (p) => `SELECT * FROM (SELECT symbol, trade_id, ts, price, quantity FROM trades WHERE ${range(p)} LATEST ON ts PARTITION BY symbol) ORDER BY symbol`,
  // `SELECT *`: QuestDB 9.2.0 answers "Internal server error" when a join's projection names a
  // DECIMAL column (`SELECT *` works); the client picks the columns (questDbPick).
  asof_join: (p) => `SELECT * FROM ${asof(p, `t.symbol = ${sym(p)} AND `)} ORDER BY t.trade_id LIMIT ${Number(p.limit)}`,
  vwap_1s: (p) => `SELECT ts, ${vwap}, sum(quantity), count() FROM trades WHERE symbol = ${sym(p)} AND ${range(p)} SAMPLE BY 1s ALIGN TO CALENDAR`,
  asof_all: (p) => `SELECT t.symbol, count(), count(q.bid_price), avg(q.ask_price - q.bid_price) FROM ${asof(p, '')} ORDER BY t.symbol`,
}

/** Columns the client takes from a `SELECT *` answer, by query (trade_id, price, bid_price, ask_price of trades ⋈ quotes). */
export const questDbPick: Readonly<Record<string, readonly number[]>> = { asof_join: [1, 2, 7, 9] }
