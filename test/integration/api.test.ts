import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  isoMicros,
  createHealthChecks,
  createMetrics,
  createQueryEngine,
  runIcebergSink,
  silentLogger,
  startApiServer,
  type ApiServer,
  type QueryEngine,
} from '../../lib/internal'
import { eventually, uniqueName, scratchDir } from './helpers'
import { recordReliability } from './oracles'
import { createLakeTestContext, makeQuotes, makeTrades, produceRecords, produceTrades, tableRecords } from './lake-helpers'
import { prng as mulberry32 } from '../support/prng'

const lake = createLakeTestContext('api')
const { config, kafka, serde, catalog, io, namespace, topics } = lake
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT']
const startMs = Math.floor((Date.now() - 1_800_000) / 60_000) * 60_000
const sqlSeen: string[] = []
let engine: QueryEngine
let api: ApiServer

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
async function get(pathAndQuery: string): Promise<{ status: number; body: any }> {
  const res = await fetch(api.url + pathAndQuery)
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, body }
}

beforeAll(async () => {
  await lake.setup(2)
  const committed = makeTrades(symbols, 5000, 1, BigInt(startMs) * 1000n)
  await produceTrades(kafka, serde, topics.trades, committed)
  await produceRecords(kafka, topics.quotes, makeQuotes(symbols, 500, BigInt(startMs) * 1000n).map((q) => ({ key: q.symbol, value: serde.serializeQuote(q) })))
  const abort = new AbortController()
  const sink = runIcebergSink(
    { namespace, topics, groupId: uniqueName('sink'), maxRecords: 100_000, maxAgeMs: 300, rowGroupSize: 10_000, workDir: scratchDir('sink-work') },
    { kafka, catalog, io, serde, logger: silentLogger, metrics: createMetrics() },
    abort.signal,
  )
  await eventually(async () => ((await tableRecords(catalog, namespace, 'trades')) === committed.length && (await tableRecords(catalog, namespace, 'quotes')) === 2000) || undefined, 90_000, 'the lake part committed')
  abort.abort()
  await sink
  // The newest trades stay in Kafka only.
  await produceTrades(kafka, serde, topics.trades, makeTrades(symbols, 100, 5001, BigInt(startMs + 5000) * 1000n))

  engine = await createQueryEngine(
    { namespace, topics, cacheDir: scratchDir('api-cache') },
    { catalog, io, kafka, serde, logger: silentLogger, onSql: (sql) => sqlSeen.push(sql) },
  )
  const metrics = createMetrics()
  api = await startApiServer(
    { host: '127.0.0.1', port: 0, maxRows: 5000, maxRangeMs: 31 * 86_400_000, timeoutMs: 10_000 },
    { engine, health: createHealthChecks({ ...config, topics: { ...config.topics, ...topics } }, { kafka, io, engine }), logger: silentLogger, metrics },
  )
}, 180_000)

afterAll(async () => {
  await api?.close()
  await engine?.close()
  await lake.teardown()
})

describe('HTTP API', () => {
  it('serves trades, recent trades (hybrid), quotes, symbols, bars and snapshots as exact JSON', async () => {
    const from = new Date(startMs).toISOString()
    const to = new Date(startMs + 10).toISOString()
    const t = await get(`/v1/trades?symbol=ETHUSDT&from=${from}&to=${to}`)
    expect(t.status).toBe(200)
    expect(t.body.data.map((r: { tradeId: number }) => r.tradeId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(t.body.data[0]).toMatchObject({ symbol: 'ETHUSDT', price: '101.00000000', quantity: '0.00100000', side: 'SELL', source: 'lake', eventTime: isoMicros(BigInt(startMs) * 1000n + 1n) })

    const recent = await get('/v1/trades/recent?symbol=SOLUSDT&minutes=60&limit=3')
    expect(recent.status).toBe(200)
    expect(recent.body.data.map((r: { tradeId: number; source: string }) => [r.tradeId, r.source])).toEqual([
      [5100, 'kafka'],
      [5099, 'kafka'],
      [5098, 'kafka'],
    ])
    const boundary = recent.body.meta.boundaries.trades
    expect(boundary.tail.records).toBe(400)
    expect(boundary.snapshotId).toMatch(/^-?\d+$/)

    const q = await get(`/v1/quotes?symbol=BTCUSDT&from=${from}&to=${new Date(startMs + 3).toISOString()}`)
    expect(q.body.data.map((r: { updateId: number }) => r.updateId)).toEqual([1, 2, 3])

    const s = await get('/v1/symbols')
    expect(s.body.data.map((r: { symbol: string; trades: number }) => [r.symbol, r.trades])).toEqual([...symbols].sort().map((x) => [x, 5100]))

    const b = await get(`/v1/bars?symbols=BTCUSDT,ETHUSDT&from=${from}&to=${new Date(startMs + 3_600_000).toISOString()}&interval=1h`)
    expect(b.status).toBe(200)
    expect(b.body.data).toHaveLength(2)
    expect(b.body.data[0]).toMatchObject({ symbol: 'BTCUSDT', trades: 5100, open: '100.00000000', firstTradeId: 1, lastTradeId: 5100 })

    const snaps = await get('/v1/snapshots?table=trades')
    expect(snaps.body.data[0].current).toBe(true)
    const old = snaps.body.data.at(-1)
    const travel = await get(`/v1/bars?symbol=BTCUSDT&from=${from}&to=${new Date(startMs + 3_600_000).toISOString()}&interval=1h&snapshot_id=${old.snapshotId}`)
    expect(travel.body.meta.boundaries.trades.snapshotId).toBe(old.snapshotId)
    expect(travel.body.meta.boundaries.trades.tail).toBeUndefined()
  })

  it('keeps every µs of a trade time through the lake, the tail and the API, in its answers and its bounds', async () => {
    // ETHUSDT is the second symbol: each of its trades is 1 µs past a millisecond.
    const lakeMicros = BigInt(startMs) * 1000n + 1n
    const tailMicros = BigInt(startMs + 5000) * 1000n + 1n
    const head = await get(`/v1/trades?symbol=ETHUSDT&from=${isoMicros(lakeMicros)}&to=${isoMicros(lakeMicros + 1000n)}`)
    expect(head.body.data.map((r: { tradeId: number; source: string; eventTime: string }) => [r.tradeId, r.source, r.eventTime])).toEqual([[1, 'lake', isoMicros(lakeMicros)]])
    // Across the lake/tail boundary: trades 4999 and 5000 from the lake, 5001 from Kafka.
    const edge = await get(`/v1/trades?symbol=ETHUSDT&from=${isoMicros(tailMicros - 2000n)}&to=${isoMicros(tailMicros + 1n)}`)
    expect(edge.body.data.map((r: { tradeId: number; source: string; eventTime: string }) => [r.tradeId, r.source, r.eventTime])).toEqual([
      [4999, 'lake', isoMicros(tailMicros - 2000n)],
      [5000, 'lake', isoMicros(tailMicros - 1000n)],
      [5001, 'kafka', isoMicros(tailMicros)],
    ])
    // A bound 1 µs past a trade leaves it out; one at a trade's µs leaves it out as the end (to is exclusive).
    const inner = await get(`/v1/trades?symbol=ETHUSDT&from=${isoMicros(tailMicros - 2000n + 1n)}&to=${isoMicros(tailMicros)}`)
    expect(inner.body.data.map((r: { tradeId: number }) => r.tradeId)).toEqual([5000])
    // The engine's rows keep them too (a Date to the ms, with its µs beside).
    const rows = await engine.query<{ t: Date & { micros: bigint } }>(`SELECT event_time AS t FROM trades WHERE symbol = 'ETHUSDT' AND trade_id IN (1, 5001) ORDER BY trade_id`)
    expect(rows.rows.map((r) => r.t.micros)).toEqual([lakeMicros, tailMicros])
    // A time without a zone would be a different instant on each machine: refused.
    expect((await get(`/v1/trades?symbol=ETHUSDT&from=2026-11-22T10:00:00&to=${isoMicros(tailMicros)}`)).status).toBe(400)
  })

  it('reports every dependency with its latency, serves its OpenAPI document and metrics', async () => {
    const h = await get('/health')
    expect(h.status).toBe(200)
    expect(h.body.checks.map((c: { name: string }) => c.name).sort()).toEqual(['iceberg-rest', 'kafka', 'kafka-tail', 'lake', 'object-store', 'schema-registry'])
    for (const c of h.body.checks) expect(c).toMatchObject({ ok: true, latencyMs: expect.any(Number) })
    const doc = await get('/openapi.json')
    expect(doc.body.openapi).toBe('3.1.0')
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/trades', '/v1/trades/recent', '/v1/quotes', '/v1/symbols', '/v1/bars', '/v1/snapshots', '/health', '/metrics']))
    expect(doc.body.paths['/v1/bars'].get.parameters.map((p: { name: string }) => p.name)).toContain('interval')
    const m = await get('/metrics')
    expect(m.body).toMatch(/^k2_api_requests_total\{route="\/v1\/trades",status="200"\} \d+/m)
    expect(m.body).toMatch(/^k2_api_request_duration_seconds_count\{route="\/health"\} \d+/m)
  })

  it('answers 5,000 hostile requests with 4xx or 200, never 5xx, with no input in the SQL text, and bounded memory', async () => {
    const rng = mulberry32(7)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!
    const nasty = [
      "BTCUSDT' OR '1'='1",
      'BTCUSDT; DROP TABLE trades; --',
      "'); COPY trades TO '/tmp/x'; --",
      'ETHUSDT\u0000',
      '%27%20OR%201%3D1',
      'A'.repeat(5000),
      '../../etc/passwd',
      '$symbol',
      '${7*7}',
      'read_parquet(\'/etc/passwd\')',
      '1e309',
      '-1',
      'NaN',
      '',
      ' ',
      'btcusdt',
      'BTCUSDT',
      'NOPEUSDT',
      '９９',
      '0x10',
      '99999999999999999999999',
    ]
    const times = ['0', '-1', '1e20', '2026-13-45T00:00:00Z', 'yesterday', '9999-12-31T23:59:59Z', new Date(startMs).toISOString(), String(startMs), String(Date.now()), '1970-01-01T00:00:00Z', '2026-11-22']
    const routes = ['/v1/trades', '/v1/trades/recent', '/v1/quotes', '/v1/symbols', '/v1/bars', '/v1/snapshots', '/health', '/v1/nope', '/openapi.json']
    const names = ['symbol', 'symbols', 'from', 'to', 'limit', 'interval', 'order', 'minutes', 'snapshot_id', 'as_of', 'table', 'evil', 'limit']
    const values = [...nasty, ...times, '1', '10', '1000000', '100000000000', '1m', '1s', '7d', '8d', '0s', 'asc', 'desc', 'trades', 'quotes', 'DROP']
    const statuses = new Map<number, number>()
    const rss: number[] = []
    const requests = 5000
    const failures: string[] = []
    for (let i = 0; i < requests; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, async () => {
          const q = new URLSearchParams()
          const n = Math.floor(rng() * 5)
          for (let k = 0; k < n; k++) q.append(pick(names), pick(values))
          const route = pick(routes)
          const res = await fetch(`${api.url}${route}?${q.toString()}`, { method: rng() < 0.02 ? 'POST' : 'GET' })
          await res.arrayBuffer()
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
          if (res.status >= 500) failures.push(`${route}?${q.toString()} answered ${res.status}`)
        }),
      )
      rss.push(process.memoryUsage().rss)
    }
    console.info(`API fuzz: ${requests} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${sqlSeen.length} SQL texts checked, RSS ${Math.round(Math.min(...rss) / 2 ** 20)}–${Math.round(Math.max(...rss) / 2 ** 20)} MiB`)
    recordReliability('api-fuzz', [{ kind: 'bad-input', target: 'api', what: 'hostile HTTP requests (SQL injection, NUL, huge, malformed times and numbers, unknown routes and methods)', count: requests }], 'every answer a 200 or a 4xx with its error; no input in any SQL text', { checked: 0, lost: 0, duplicated: 0, unanswered: failures.length })
    expect(failures).toEqual([])
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(requests)
    expect(statuses.get(200)).toBeGreaterThan(50)
    expect(statuses.get(400)).toBeGreaterThan(1000)
    // No hostile value reached DuckDB as text: every value travelled as a parameter.
    // ($symbol is our own placeholder syntax, so it is not looked for.)
    const leaked = nasty.filter((v) => v.length > 3 && !v.startsWith('$') && sqlSeen.some((sql) => sql.includes(v)))
    expect(leaked).toEqual([])
    expect(sqlSeen.length).toBeGreaterThan(100)
    // Memory: the second half of the run does not keep growing past the first (no leak per request).
    const half = Math.floor(rss.length / 2)
    const maxFirst = Math.max(...rss.slice(0, half))
    const maxSecond = Math.max(...rss.slice(half))
    expect(maxSecond).toBeLessThan(maxFirst * 1.5 + 64 * 2 ** 20)
  }, 300_000)
})
