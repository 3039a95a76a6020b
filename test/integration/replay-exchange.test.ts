import { randomBytes } from 'node:crypto'
import * as net from 'node:net'
import * as path from 'node:path'
import * as fs from 'node:fs'
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { historyRowToTradeEvent, normaliseBinanceFrame, projectRoot, silentLogger } from '../../lib/internal'
// lib/index.ts does not re-export feed/ yet; switch to '../../lib' once it does.
import {
  asBookTickerEvent,
  asTradeEvent,
  createSyntheticMarket,
  createReplayExchange,
  malformedKinds,
  parseFrame,
  type BinanceHistoricalTrade,
  type BinanceTradeEvent,
  type ReplayExchange,
  type ReplayExchangeOptions,
} from '../../lib/internal'

/**
 * The replay exchange in-process on port 0, spoken to with the `ws` client and fetch, as an
 * ingestor would speak to Binance. Needs no stack.
 */

const running: ReplayExchange[] = []
const clients: WebSocket[] = []

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate()
  await Promise.all(running.splice(0).map((ex) => ex.close()))
})

async function exchange(options: ReplayExchangeOptions = {}): Promise<ReplayExchange> {
  const ex = createReplayExchange({ seed: 11, rate: 'max', ...options }, { logger: silentLogger })
  running.push(ex)
  await ex.start()
  return ex
}

interface Client {
  readonly ws: WebSocket
  readonly frames: string[]
  pings: number
  readonly closed: Promise<{ code: number; reason: string }>
}

async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, options)
  clients.push(ws)
  const client: Client = {
    ws,
    frames: [],
    pings: 0,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  }
  ws.on('message', (data) => client.frames.push(data.toString()))
  ws.on('ping', () => client.pings++)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return client
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function untilAsync(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const streams = (...symbols: string[]): string => symbols.flatMap((s) => [`${s}@trade`, `${s}@bookTicker`]).join('/')
const decimal8 = /^\d+\.\d{8}$/

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url)
  return { status: res.status, body: await res.json() }
}

describe('replay exchange', () => {
  it('sends only the subscribed combined streams, in Binance frame shapes', async () => {
    const ex = await exchange()
    const wanted = new Set(['btcusdt@trade', 'btcusdt@bookTicker', 'ethusdt@trade'])
    const c = await connect(`${ex.url}/stream?streams=${[...wanted].join('/')}`)
    await until(() => c.frames.length >= 2_000, 10_000, '2000 frames')
    const seen = new Set<string>()
    const lastId = new Map<string, number>()
    for (const text of c.frames.slice(0, 2_000)) {
      const frame = JSON.parse(text) as { stream: string; data: Record<string, unknown> }
      expect(Object.keys(frame)).toEqual(['stream', 'data'])
      expect(wanted.has(frame.stream)).toBe(true)
      seen.add(frame.stream)
      const symbol = frame.stream.split('@')[0]!.toUpperCase()
      if (frame.stream.endsWith('@trade')) {
        expect(Object.keys(frame.data)).toEqual(['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M'])
        const t = asTradeEvent(frame.data)!
        expect(t).toBeDefined()
        expect(t.s).toBe(symbol)
        expect(t.p).toMatch(decimal8)
        expect(t.q).toMatch(decimal8)
        expect(t.E).toBeGreaterThanOrEqual(t.T)
        expect(t.T).toBeLessThan(1e14) // milliseconds by default
        if (lastId.has(symbol)) expect(t.t).toBe(lastId.get(symbol)! + 1)
        lastId.set(symbol, t.t)
      } else {
        expect(Object.keys(frame.data)).toEqual(['u', 's', 'b', 'B', 'a', 'A'])
        const q = asBookTickerEvent(frame.data)!
        expect(q.s).toBe(symbol)
        for (const v of [q.b, q.B, q.a, q.A]) expect(v).toMatch(decimal8)
      }
    }
    expect(seen).toEqual(wanted)
  })

  it('serves raw streams, microsecond times, and live SUBSCRIBE / LIST_SUBSCRIPTIONS requests', async () => {
    const ex = await exchange()
    const raw = await connect(`${ex.url}/ws/btcusdt@trade?timeUnit=MICROSECOND`)
    await until(() => raw.frames.length >= 20, 5_000, 'raw frames')
    const t = JSON.parse(raw.frames[0]!) as BinanceTradeEvent
    expect(t.e).toBe('trade')
    expect(t.T).toBeGreaterThan(1e15) // µs
    expect(t.E).toBeGreaterThanOrEqual(t.T)

    const live = await connect(`${ex.url}/stream`)
    live.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['solusdt@bookTicker'], id: 1 }))
    live.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }))
    await until(() => live.frames.some((f) => f.includes('"id":2')), 5_000, 'LIST_SUBSCRIPTIONS reply')
    expect(live.frames).toContain('{"result":null,"id":1}')
    expect(live.frames).toContain('{"result":["solusdt@bookTicker"],"id":2}')
    await until(() => live.frames.some((f) => f.startsWith('{"stream":"solusdt@bookTicker"')), 5_000, 'a subscribed frame')
  })

  it('refuses a handshake for a stream it does not serve', async () => {
    const ex = await exchange()
    const ws = new WebSocket(`${ex.url}/stream?streams=btcusdt@depth`)
    ws.on('error', () => {}) // the refused handshake also surfaces as an error
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))
    expect(status).toBe(400)
    expect(ex.stats().connectionsRefused).toBe(1)
  })

  it('pings every interval and drops a client that does not pong in time', async () => {
    const ex = await exchange({ rate: 1, pingIntervalMs: 100, pongTimeoutMs: 350 })
    const polite = await connect(`${ex.url}/stream?streams=btcusdt@trade`)
    const deaf = await connect(`${ex.url}/stream?streams=btcusdt@trade`, { autoPong: false })
    const closed = await deaf.closed
    expect(closed.code).toBe(1006) // cut off, no close frame
    expect(deaf.pings).toBeGreaterThanOrEqual(3)
    expect(polite.ws.readyState).toBe(WebSocket.OPEN)
    expect(polite.pings).toBeGreaterThanOrEqual(3)
    const s = ex.stats()
    expect(s.pongTimeouts).toBe(1)
    expect(s.pongsReceived).toBeGreaterThanOrEqual(3)
  })

  it('answers historicalTrades in µs under X-MBX-TIME-UNIT: MICROSECOND, so a trade repaired over REST gets the exact time the stream gave it', async () => {
    const ex = await exchange()
    const c = await connect(`${ex.url}/ws/btcusdt@trade?timeUnit=MICROSECOND`)
    await until(() => c.frames.length >= 20, 5_000, '20 trades')
    const streamed = c.frames.slice(0, 20).map((f) => JSON.parse(f) as BinanceTradeEvent)
    const from = streamed[5]!.t
    const res = await fetch(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${from}&limit=5`, { headers: { 'X-MBX-TIME-UNIT': 'MICROSECOND' } })
    const rows = (await res.json()) as BinanceHistoricalTrade[]
    const ctx = { exchange: 'BINANCE', symbols: new Map([['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }]]), receivedMicros: 0n, timeUnit: 'us' as const, maxFrameBytes: 65_536 }
    for (const r of rows) {
      const live = streamed.find((s) => s.t === r.id)!
      expect(r.time).toBe(live.T) // µs, not ms
      const viaRest = normaliseBinanceFrame(historyRowToTradeEvent('BTCUSDT', { ...r, time: r.time }, 'us'), ctx)
      const viaStream = normaliseBinanceFrame(JSON.stringify(live), ctx)
      expect(viaRest.kind === 'trade' && viaStream.kind === 'trade' && viaRest.trade.timestampMicros === viaStream.trade.timestampMicros).toBe(true)
    }
    // Without the header, ms (Binance's default); a unit Binance does not know is refused.
    const ms = (await (await fetch(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${from}&limit=1`)).json()) as BinanceHistoricalTrade[]
    expect(ms[0]!.time).toBe(Math.floor(streamed[5]!.T / 1000))
    expect((await fetch(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&limit=1`, { headers: { 'X-MBX-TIME-UNIT': 'NANOSECOND' } })).status).toBe(400)
  })

  it('answers historicalTrades by id range with the trades the stream carried, and Binance errors', async () => {
    const ex = await exchange()
    const c = await connect(`${ex.url}/ws/btcusdt@trade`)
    await until(() => c.frames.length >= 50, 5_000, '50 trades')
    const streamed = c.frames.slice(0, 50).map((f) => JSON.parse(f) as BinanceTradeEvent)
    const from = streamed[10]!.t
    const { status, body } = await getJson(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${from}&limit=5`)
    expect(status).toBe(200)
    const rows = body as BinanceHistoricalTrade[]
    expect(rows.map((r) => r.id)).toEqual([from, from + 1, from + 2, from + 3, from + 4])
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(['id', 'price', 'qty', 'quoteQty', 'time', 'isBuyerMaker', 'isBestMatch'])
      const t = streamed.find((s) => s.t === r.id)!
      expect(r).toMatchObject({ price: t.p, qty: t.q, time: t.T, isBuyerMaker: t.m, isBestMatch: true })
      expect(r.quoteQty).toMatch(decimal8)
    }
    const recent = (await getJson(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&limit=3`)).body as BinanceHistoricalTrade[]
    expect(recent).toHaveLength(3)
    expect(recent[2]!.id).toBeGreaterThan(from)

    expect(await getJson(`${ex.restUrl}/api/v3/historicalTrades?symbol=NOPEUSDT`)).toEqual({ status: 400, body: { code: -1121, msg: 'Invalid symbol.' } })
    expect(await getJson(`${ex.restUrl}/api/v3/historicalTrades`)).toMatchObject({ status: 400, body: { code: -1102 } })
    expect(await getJson(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&limit=ten`)).toMatchObject({ status: 400, body: { code: -1100 } })

    const info = (await getJson(`${ex.restUrl}/api/v3/exchangeInfo`)).body as { symbols: Array<{ symbol: string; status: string; baseAsset: string; quoteAsset: string }> }
    expect(info.symbols.length).toBeGreaterThanOrEqual(150)
    expect(info.symbols[0]).toMatchObject({ symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT' })
    expect((await getJson(`${ex.restUrl}/api/v3/exchangeInfo?symbol=ETHBTC`)).body).toMatchObject({ symbols: [{ symbol: 'ETHBTC', baseAsset: 'ETH', quoteAsset: 'BTC' }] })
    expect(await getJson(`${ex.restUrl}/api/v3/exchangeInfo?symbol=NOPE`)).toEqual({ status: 400, body: { code: -1121, msg: 'Invalid symbol.' } })
  })

  it('duplicates every frame with duplicate probability 1', async () => {
    const ex = await exchange({ faults: { duplicate: 1 } })
    const c = await connect(`${ex.url}/stream?streams=${streams('btcusdt')}`)
    await until(() => c.frames.length >= 200, 5_000, 'frames')
    for (let i = 0; i < 200; i += 2) expect(c.frames[i + 1]).toBe(c.frames[i])
    expect(ex.stats().faults.duplicate).toBeGreaterThanOrEqual(100)
  })

  it('swaps each frame with the next one with reorder probability 1', async () => {
    const ex = await exchange({ faults: { reorder: 1 } })
    const c = await connect(`${ex.url}/ws/btcusdt@trade`)
    await until(() => c.frames.length >= 100, 5_000, 'frames')
    const ids = c.frames.slice(0, 100).map((f) => (JSON.parse(f) as BinanceTradeEvent).t)
    for (let i = 0; i < 100; i += 2) expect(ids[i]).toBe(ids[i + 1]! + 1)
    expect(ex.stats().faults.reorder).toBeGreaterThanOrEqual(50)
  })

  it('tells its market clock at /api/v3/time: running at its rate, with the trades it sends on it (D50)', async () => {
    const ex = await exchange({ rate: 4 })
    const c = await connect(`${ex.url}/ws/btcusdt@trade`)
    await until(() => c.frames.length >= 20, 10_000, 'frames')
    const time = async (): Promise<{ wall: number; server: number }> => {
      const before = Date.now()
      const { body } = await getJson(`${ex.restUrl}/api/v3/time`)
      return { wall: (before + Date.now()) / 2, server: (body as { serverTime: number }).serverTime }
    }
    const first = await time()
    // The clock is read twice over at least a second of wall time: its rate is what a reader converts by.
    let second = await time()
    while (second.wall - first.wall < 1000) second = await time()
    expect((second.server - first.server) / (second.wall - first.wall)).toBeGreaterThan(3.6)
    expect((second.server - first.server) / (second.wall - first.wall)).toBeLessThan(4.4)
    // A reader that keeps up holds trades close behind the clock (in market time), and none ahead of it.
    const newest = Math.max(...c.frames.map((f) => (JSON.parse(f) as BinanceTradeEvent).T))
    const now = (await time()).server
    expect(newest).toBeLessThanOrEqual(now)
    expect(now - newest).toBeLessThan(4 * 2000)
  })

  it('omits frames, and REST history fills every gap they leave', async () => {
    // A paced tape, so the gaps are still inside the bounded history when the repairs run.
    const ex = await exchange({ rate: 4, faults: { omit: 0.2 } })
    const c = await connect(`${ex.url}/ws/btcusdt@trade`)
    await until(() => c.frames.length >= 400, 10_000, 'frames')
    const ids = c.frames.slice(0, 400).map((f) => (JSON.parse(f) as BinanceTradeEvent).t)
    const missing: number[] = []
    for (let i = 1; i < ids.length; i++) for (let id = ids[i - 1]! + 1; id < ids[i]!; id++) missing.push(id)
    expect(missing.length).toBeGreaterThan(40)
    const repaired = new Set(ids)
    for (const id of missing) {
      if (repaired.has(id)) continue
      const rows = (await getJson(`${ex.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${id}&limit=20`)).body as BinanceHistoricalTrade[]
      expect(rows[0]!.id).toBe(id)
      for (const r of rows) repaired.add(r.id)
    }
    for (let id = ids[0]!; id <= ids[ids.length - 1]!; id++) expect(repaired.has(id)).toBe(true)
    expect(ex.stats().faults.omit).toBeGreaterThan(40)
  })

  it('injects every kind of malformed frame before real ones', async () => {
    const ex = await exchange({ faults: { malformed: { everyFrames: 2 } }, oversizeFrameBytes: 4096 })
    const subscribed = new Set(['btcusdt@trade', 'btcusdt@bookTicker', 'ethusdt@trade', 'ethusdt@bookTicker'])
    const c = await connect(`${ex.url}/stream?streams=${[...subscribed].join('/')}`)
    await until(() => c.frames.length >= 3_000, 10_000, '3000 frames')
    /** A strict reader: what an ingestor must accept. */
    const accepted = (text: string): boolean => {
      try {
        if (text.length > 4096) return false
        const { stream, data } = parseFrame(text)
        if (!stream || !subscribed.has(stream)) return false
        const trade = stream.endsWith('@trade')
        if (!trade && typeof data === 'object' && data !== null && 'e' in data) return false
        const ev = trade ? asTradeEvent(data) : asBookTickerEvent(data)
        if (!ev || ev.s.toLowerCase() !== stream.split('@')[0]) return false
        const decimals = 'p' in ev ? [ev.p, ev.q] : [ev.b, ev.B, ev.a, ev.A]
        if (!decimals.every((d) => decimal8.test(d) && Number(d) > 0)) return false
        return 'p' in ev || Number(ev.b) < Number(ev.a)
      } catch {
        return false
      }
    }
    // Every second data frame is preceded by a malformed one: real, bad, real, real, bad, real, …
    const verdicts = c.frames.slice(0, 3_000).map(accepted)
    const expected = verdicts.map((_, i) => i % 3 !== 1)
    expect(verdicts).toEqual(expected)
    const s = ex.stats()
    for (const kind of malformedKinds) expect(s.faults.malformedByKind[kind], kind).toBeGreaterThan(0)
    expect(Object.values(s.faults.malformedByKind).reduce((a, b) => a + b, 0)).toBe(s.faults.malformed)
  })

  it('drops a connection abruptly on schedule', async () => {
    const ex = await exchange({ faults: { drop: { everyFrames: 50 } } })
    const c = await connect(`${ex.url}/ws/btcusdt@trade`)
    const closed = await c.closed
    expect(closed.code).toBe(1006)
    expect(c.frames).toHaveLength(49)
    expect(ex.stats().faults.drop).toBe(1)
  })

  it('sends serverShutdown, keeps streaming through the grace period, then closes with 1001', async () => {
    const ex = await exchange({ rate: 1, faults: { serverShutdown: { afterMs: 300 } }, serverShutdownGraceMs: 400 })
    const c = await connect(`${ex.url}/stream?streams=${streams('btcusdt')}`)
    let shutdownAt = 0
    c.ws.on('message', (data) => {
      if (data.toString().includes('serverShutdown')) shutdownAt = Date.now()
    })
    const closed = await c.closed
    const graceMs = Date.now() - shutdownAt
    expect(closed.code).toBe(1001)
    const at = c.frames.findIndex((f) => f.startsWith('{"stream":"!serverShutdown"'))
    const event = JSON.parse(c.frames[at]!) as { stream: string; data: { e: string; E: number } }
    expect(Object.keys(event.data)).toEqual(['e', 'E'])
    expect(event.data.e).toBe('serverShutdown')
    expect(event.data.E).toBeLessThan(1e14) // ms, like every time on a default connection
    expect(c.frames.length - at).toBeGreaterThan(10) // the tape went on during the grace period
    expect(graceMs).toBeGreaterThanOrEqual(350)
    expect(ex.stats().faults.serverShutdown).toBe(1)
  })

  it('sends serverShutdown to every client when it closes', async () => {
    const ex = await exchange({ rate: 1 })
    const c = await connect(`${ex.url}/ws/btcusdt@bookTicker`)
    await ex.close()
    expect((await c.closed).code).toBe(1001)
    expect(JSON.parse(c.frames[c.frames.length - 1]!)).toMatchObject({ e: 'serverShutdown' })
  })

  it('finishes closing while a client reconnects on serverShutdown, refusing the reconnect with 503', async () => {
    const ex = await exchange({ rate: 1 })
    const url = `${ex.url}/ws/btcusdt@bookTicker`
    const c = await connect(url)
    // As the ingestor does: a serverShutdown event means "reconnect now".
    const retry = new Promise<number>((resolve) => {
      c.ws.on('message', (data) => {
        if (!data.toString().includes('serverShutdown')) return
        const again = new WebSocket(url)
        clients.push(again)
        again.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        again.on('open', () => resolve(101))
        again.on('error', () => {})
      })
    })
    await ex.close()
    expect(await retry).toBe(503)
    expect(ex.stats().connectionsOpen).toBe(0)
  })

  it('resumes trade ids after a restart from the resume point of the run before', async () => {
    const first = await exchange({ rate: 'max', seed: 21 })
    const c1 = await connect(`${first.url}/ws/btcusdt@trade`)
    await until(() => c1.frames.length >= 200, 10_000, '200 trades')
    await first.close()
    const ids1 = c1.frames.map((f) => JSON.parse(f) as { e: string; t?: number }).filter((f) => f.e === 'trade').map((f) => f.t!)
    const point = first.resumePoint()
    expect(point.BTCUSDT!.lastTradeId).toBeGreaterThanOrEqual(ids1[ids1.length - 1]!)

    const second = await exchange({ rate: 'max', seed: 21, resume: point })
    const c2 = await connect(`${second.url}/ws/btcusdt@trade`)
    await until(() => c2.frames.length >= 50, 10_000, '50 trades')
    const ids2 = c2.frames.map((f) => JSON.parse(f) as { t: number }).map((f) => f.t)
    expect(ids2[0]).toBeGreaterThan(ids1[ids1.length - 1]!)
    expect(ids2[0]).toBe(point.BTCUSDT!.lastTradeId! + 1)
    // Without the resume point the same seed starts over, at ids the first run already sent.
    const third = await exchange({ rate: 'max', seed: 21 })
    const c3 = await connect(`${third.url}/ws/btcusdt@trade`)
    await until(() => c3.frames.length >= 1, 10_000, 'a trade')
    expect((JSON.parse(c3.frames[0]!) as { t: number }).t).toBeLessThanOrEqual(ids1[0]!)
  })

  it('closes a connection at maxConnectionMs', async () => {
    const ex = await exchange({ rate: 1, maxConnectionMs: 400 })
    const started = Date.now()
    const c = await connect(`${ex.url}/stream?streams=${streams('btcusdt')}`)
    const closed = await c.closed
    const lived = Date.now() - started
    expect(closed.code).toBe(1000)
    expect(lived).toBeGreaterThanOrEqual(350)
    expect(lived).toBeLessThan(3_000)
    expect(ex.stats().lifetimeCloses).toBe(1)
  })

  it('follows market time at a finite rate', async () => {
    const ex = await exchange({ rate: 20 })
    await connect(`${ex.url}/stream?streams=${streams('btcusdt')}`)
    await until(() => ex.stats().marketTimeMs !== undefined, 2_000, 'the first event')
    const m0 = ex.stats().marketTimeMs!
    const t0 = Date.now()
    await new Promise((r) => setTimeout(r, 1_000))
    const marketSeconds = (ex.stats().marketTimeMs! - m0) / 1000
    const wallSeconds = (Date.now() - t0) / 1000
    expect(marketSeconds / wallSeconds).toBeGreaterThan(15)
    expect(marketSeconds / wallSeconds).toBeLessThan(25)
  })

  it('plays a capture file frame for frame', async () => {
    const file = path.join(projectRoot, 'data', 'sample-capture.jsonl')
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n')
    const names = [...new Set(lines.map((l) => parseFrame(l).stream!))]
    // At rate 'max' nothing plays before a client connects, so the client sees the capture from its first line.
    const ex = await exchange({ capturePath: file })
    const c = await connect(`${ex.url}/stream?streams=${names.join('/')}`)
    await until(() => ex.stats().tapeEnded && c.frames.length >= lines.length, 10_000, 'the whole capture')
    expect(c.frames).toEqual(lines)
    const rows = (await getJson(`${ex.restUrl}/api/v3/historicalTrades?symbol=ETHBTC&limit=1000`)).body as BinanceHistoricalTrade[]
    expect(rows.map((r) => r.id)).toEqual(lines.filter((l) => l.startsWith('{"stream":"ethbtc@trade"')).map((l) => (parseFrame(l).data as BinanceTradeEvent).t))
  })

  it('waits for a slow reader and drops one that stops reading, keeping memory bounded', async () => {
    const ex = await exchange({ highWaterBytes: 64 * 1024, stallTimeoutMs: 500 })
    const good = await connect(`${ex.url}/stream?streams=${streams('btcusdt')}`)
    const { port } = new URL(ex.url)
    const stuck = net.connect(Number(port), '127.0.0.1')
    stuck.pause() // never reads: the kernel buffers fill, then the server's
    stuck.write(
      `GET /stream?streams=${streams('btcusdt', 'ethusdt', 'solusdt')} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    await until(() => ex.stats().slowConsumerDrops === 1, 20_000, 'the stuck reader to be dropped')
    stuck.destroy()
    expect(ex.stats().backpressureWaits).toBeGreaterThan(0)
    const before = good.frames.length
    await until(() => good.frames.length > before + 1_000, 5_000, 'the tape to move on')
  })

  it('reports on /k2/stats how far it runs behind its schedule while a reader holds it back, and catches up once it is gone', async () => {
    const ex = await exchange({ rate: 20, highWaterBytes: 16 * 1024, stallTimeoutMs: 60_000 })
    const lag = async (): Promise<number> => ((await getJson(`${ex.restUrl}/k2/stats`)).body as { scheduleLagMs: number }).scheduleLagMs
    const good = await connect(`${ex.url}/stream?streams=${streams('btcusdt')}`)
    await until(() => good.frames.length > 100, 5_000, 'the tape to play')
    expect(await lag()).toBeLessThan(1_000)
    const { port } = new URL(ex.url)
    const stuck = net.connect(Number(port), '127.0.0.1')
    stuck.pause()
    stuck.write(
      `GET /stream?streams=${streams('btcusdt', 'ethusdt', 'solusdt')} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    await untilAsync(async () => (await lag()) > 2_000, 20_000, 'the schedule lag to pass 2 s')
    stuck.destroy()
    await untilAsync(async () => (await lag()) < 1_000, 20_000, 'the tape to catch up')
  })

  it('sustains a high event rate to one client at rate max', async () => {
    const ex = await exchange()
    const all = createSyntheticMarket({ seed: 11 }).instruments.map((i) => i.symbol.toLowerCase())
    const c = await connect(`${ex.url}/stream?streams=${streams(...all)}`)
    await until(() => c.frames.length > 10_000, 5_000, 'warm-up')
    const n0 = c.frames.length
    const t0 = Date.now()
    await new Promise((r) => setTimeout(r, 3_000))
    const perSecond = Math.round((c.frames.length - n0) / ((Date.now() - t0) / 1000))
    process.stdout.write(`replay exchange, rate max, one client on ${all.length * 2} streams (client in the same process): ${perSecond} frames/s\n`)
    expect(perSecond).toBeGreaterThan(0)
  })
})
