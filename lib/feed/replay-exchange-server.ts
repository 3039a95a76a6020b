/**
 * The replay exchange: a local server that speaks Binance's spot market-data protocol (WebSocket
 * streams and the two REST endpoints an ingestor needs) while playing a ReplayMarket — the
 * seeded synthetic market, or a capture file — with faults injected on purpose.
 *
 * Protocol, as documented by Binance (sources in binance-frames.ts):
 * - `ws://host:port/stream?streams=btcusdt@trade/btcusdt@bookTicker` (combined: every frame is
 *   `{"stream":…,"data":…}`) and `ws://host:port/ws/btcusdt@trade` (raw payloads). Stream names
 *   are lower-case; only `<symbol>@trade` and `<symbol>@bookTicker` are served. `timeUnit=
 *   MICROSECOND` switches E and T to µs. Live `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
 *   `SET_PROPERTY`/`GET_PROPERTY combined` requests are answered as Binance answers them.
 * - A ping frame every `pingIntervalMs` (Binance: 20 s); a connection that has not answered a
 *   ping with a pong carrying the same payload within `pongTimeoutMs` (Binance: a minute) is
 *   dropped. Unsolicited pongs are allowed but do not count.
 * - A connection lives at most `maxConnectionMs` (Binance: 24 h). A `serverShutdown` event
 *   (`{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":…}}`) precedes a close with
 *   1001, after `serverShutdownGraceMs`; on close() every client gets one.
 * - `GET /api/v3/historicalTrades` and `GET /api/v3/exchangeInfo` (plus `ping` and `time`) on the
 *   same port; errors are Binance's `{"code":-1121,"msg":"Invalid symbol."}` with HTTP 400.
 *   `time` answers the exchange's clock, which is the market's: where the tape is due now, running
 *   at `rate` (with `'max'`, the newest event sent), so E and T compare with it as Binance's
 *   compare with its server time, and a reader can tell how far behind the tape it is (D50).
 *
 * One tape for all connections, as on an exchange: a pump takes events from the market in time
 * order, paced by the market's timestamps at `rate`× real time (or as fast as possible with
 * `'max'`), and sends each to the connections subscribed to its stream. Backpressure: the pump
 * waits while any connection has more than `highWaterBytes` queued, and a connection stuck above
 * it for `stallTimeoutMs` is dropped, so memory stays bounded.
 */
import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { Logger } from '../logger/logger'
import {
  BinanceErrorCode,
  binanceErrorJson,
  bookTickerEventJson,
  combinedFrameJson,
  exchangeInfoJson,
  historicalTradesJson,
  malformedFrameJson,
  malformedKinds as allMalformedKinds,
  parseStreamName,
  serverShutdownEventJson,
  serverShutdownStream,
  streamName,
  toBookTickerEvent,
  toExchangeInfo,
  toTradeEvent,
  tradeEventJson,
  type BinanceTimeUnit,
  type MalformedKind,
} from './binance-frames'
import { createCaptureMarket } from './capture-market'
import type { MarketEvent, MarketResumePoint, SymbolResumePoint } from './market-events'
import type { ReplayMarket } from './replay-market'
import { createSeededRandom, type SeededRandom } from './seeded-random'
import { createSyntheticMarket } from './synthetic-market'
import { historicalTradesDefaultLimit, historicalTradesMaxLimit } from './trade-history'

/** A fault that applies to frames: a probability per frame (0–1), or every n-th frame of a connection. */
export type FrameFault = number | { readonly everyFrames: number }

/** A fault that ends a connection: as a FrameFault, or once when the connection is `afterMs` old. */
export type ConnectionFault = FrameFault | { readonly afterMs: number }

/** Faults to inject, each counted in stats(). Evaluated per connection, per frame it is sent. */
export interface ReplayFaults {
  /** Close the socket abruptly (no close frame: the client sees 1006). */
  readonly drop?: ConnectionFault
  /** Send a `serverShutdown` event, keep streaming for `serverShutdownGraceMs`, then close with 1001. */
  readonly serverShutdown?: ConnectionFault
  /** Send the frame twice. */
  readonly duplicate?: FrameFault
  /** Hold the frame and send it after the connection's next frame. */
  readonly reorder?: FrameFault
  /** Do not send the frame (trades stay in the REST history, so a client can repair the gap). */
  readonly omit?: FrameFault
  /** Send a malformed frame (built from this one) before this one. */
  readonly malformed?: FrameFault
  /** Which malformed kinds to draw from (default: all). */
  readonly malformedKinds?: readonly MalformedKind[]
}

/** Where the replay exchange listens, what it plays, how fast, and which faults it injects. */
export interface ReplayExchangeOptions {
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string
  /** Port to bind; 0 picks a free one (default 0). */
  readonly port?: number
  /** The market to play. Default: a synthetic market from `seed`, `symbols`, `startTimeMs`; or the capture at `capturePath`. */
  readonly market?: ReplayMarket
  /** A capture file (one Binance combined-stream message a line) to play instead of the synthetic market. */
  readonly capturePath?: string
  /** Seed of the synthetic market and of fault decisions (default 1). */
  readonly seed?: number
  /** Symbols of the synthetic market (default 160; up to 2,000, the whole Binance spot exchange). */
  readonly symbols?: number
  /** The synthetic market's base rate of actions per second at rate 1, over all symbols (default 600: about 2,000 events/s). */
  readonly actionsPerSecond?: number
  /** Share of the synthetic market's actions that are taker orders (default 0.45; Binance's ~1 trade to 10 quotes: ~0.06). */
  readonly takerShare?: number
  /** Market time of the synthetic market's first event (default: now, so timestamps look live). */
  readonly startTimeMs?: number
  /**
   * Where an earlier run stopped (its `resumePoint()`): the synthetic market continues trade
   * and update ids from there, so clients that deduplicate by id take a restart for a quiet
   * period. Ignored for a given `market` or a capture.
   */
  readonly resume?: MarketResumePoint
  /** Trades kept per symbol for historicalTrades at least (default 10,000, about 41 bytes each). */
  readonly historyPerSymbol?: number
  /**
   * Beyond that, what each symbol traded in the last this many ms of wall time (default 60,000):
   * at a fast rate the busiest symbols pass 10,000 trades in a second, and a client reconnecting
   * after its backoff must still find its gap.
   */
  readonly historyRetainMs?: number
  /** Speed against the market's timestamps: 1 is real time, 60 a minute a second, 'max' as fast as the clients read (default 1). */
  readonly rate?: number | 'max'
  /** Ping frame interval (default 20,000 as Binance). */
  readonly pingIntervalMs?: number
  /** Drop a connection whose pong has not come this long after a ping (default 60,000 as Binance). */
  readonly pongTimeoutMs?: number
  /** Close a connection this old (default 24 h as Binance). */
  readonly maxConnectionMs?: number
  /**
   * How long a connection keeps streaming after its `serverShutdown` event before it is closed
   * (default 1,000). Binance does not document the delay; 0 closes at once, the harshest case.
   */
  readonly serverShutdownGraceMs?: number
  readonly faults?: ReplayFaults
  /** The pump waits while any connection has more than this many bytes queued (default 1 MiB). */
  readonly highWaterBytes?: number
  /** A connection above highWaterBytes for this long is dropped as a slow consumer (default 30,000). */
  readonly stallTimeoutMs?: number
  /** Size an `oversize` malformed frame exceeds (default 256 KiB). */
  readonly oversizeFrameBytes?: number
  /** Streams one connection may hold (default 1024 as Binance). */
  readonly maxStreamsPerConnection?: number
}

/** What the replay exchange did since start (monotonic counters, plus the current connections). */
export interface ReplayExchangeStats {
  readonly connectionsOpen: number
  readonly connectionsTotal: number
  /** Handshakes refused (bad path, stream name or timeUnit). */
  readonly connectionsRefused: number
  /** Events taken from the market. */
  readonly events: number
  /** Frames written to sockets (duplicates, malformed and control frames included). */
  readonly framesSent: number
  readonly bytesSent: number
  /** Market time of the last event played, ms since the epoch (undefined before the first). */
  readonly marketTimeMs: number | undefined
  /** True once a capture has been played to its end. */
  readonly tapeEnded: boolean
  readonly pingsSent: number
  readonly pongsReceived: number
  readonly unsolicitedPongs: number
  readonly pongTimeouts: number
  readonly lifetimeCloses: number
  readonly slowConsumerDrops: number
  /** Times the pump waited for a connection's send buffer to drain. */
  readonly backpressureWaits: number
  /**
   * How late the tape runs, ms: the age of the oldest event due at this rate and not yet sent
   * (0 when it keeps its schedule, and at rate 'max'). It grows while a reader cannot keep up,
   * since the exchange waits for a slow reader rather than drop frames.
   */
  readonly scheduleLagMs: number
  readonly restRequests: number
  readonly restErrors: number
  readonly faults: {
    readonly drop: number
    readonly serverShutdown: number
    readonly duplicate: number
    readonly reorder: number
    readonly omit: number
    readonly malformed: number
    readonly malformedByKind: Readonly<Record<MalformedKind, number>>
  }
}

/** A running replay exchange. */
export interface ReplayExchange {
  /** WebSocket base URL, e.g. `ws://127.0.0.1:9443` (append `/stream?streams=…`). Set once started. */
  readonly url: string
  /** REST base URL, e.g. `http://127.0.0.1:9443` (append `/api/v3/…`). Set once started. */
  readonly restUrl: string
  /** Binds the port and starts the tape. */
  start(): Promise<void>
  /** Sends serverShutdown to every client, closes them and the port. Safe to call twice. */
  close(): Promise<void>
  stats(): ReplayExchangeStats
  /** Changes the pace from now on (the overload demo's phases): `rate`× real time, or 'max'. */
  setRate(rate: number | 'max'): void
  /**
   * The last trade id, update id and price played per symbol, merged over the `resume` it
   * started from: what a restart passes back as `resume`. Played means taken off the tape
   * (whether or not anyone subscribed), so ids a client may have seen are never reissued.
   */
  resumePoint(): MarketResumePoint
}

/** What the replay exchange is given: it logs through `logger` and never to the console. */
export interface ReplayExchangeDeps {
  readonly logger: Logger
}

interface Connection {
  readonly id: number
  readonly ws: WebSocket
  combined: boolean
  readonly unit: BinanceTimeUnit
  readonly streams: Set<string>
  readonly openedAt: number
  readonly rng: SeededRandom
  frames: number
  held: string | undefined
  /** Payloads of pings not yet answered, and when the oldest was sent. */
  readonly pings: string[]
  awaitingSince: number | undefined
  blockedSince: number | undefined
  readonly timers: Array<ReturnType<typeof setTimeout>>
  pongTimer: ReturnType<typeof setTimeout> | undefined
  /** serverShutdown sent; the close follows after the grace period. */
  shuttingDown: boolean
  closed: boolean
}

const timeUnits: Record<string, BinanceTimeUnit> = {
  MILLISECOND: 'MILLISECOND',
  millisecond: 'MILLISECOND',
  MICROSECOND: 'MICROSECOND',
  microsecond: 'MICROSECOND',
}

/** Creates a replay exchange; nothing listens until start(). */
export function createReplayExchange(options: ReplayExchangeOptions, deps: ReplayExchangeDeps): ReplayExchange {
  const log = deps.logger.child('replay-exchange')
  const host = options.host ?? '127.0.0.1'
  let rate = options.rate ?? 1
  const seed = options.seed ?? 1
  const pingIntervalMs = options.pingIntervalMs ?? 20_000
  const pongTimeoutMs = options.pongTimeoutMs ?? 60_000
  const maxConnectionMs = options.maxConnectionMs ?? 86_400_000
  const shutdownGraceMs = options.serverShutdownGraceMs ?? 1_000
  const highWaterBytes = options.highWaterBytes ?? 1 << 20
  const stallTimeoutMs = options.stallTimeoutMs ?? 30_000
  const oversizeBytes = options.oversizeFrameBytes ?? 256 * 1024
  const maxStreams = options.maxStreamsPerConnection ?? 1024
  const faults = options.faults ?? {}
  const kinds = faults.malformedKinds ?? allMalformedKinds
  validate()

  let market: ReplayMarket | undefined = options.market
  const played: Record<string, { -readonly [K in keyof SymbolResumePoint]: SymbolResumePoint[K] }> = {}
  let server: http.Server | undefined
  let wss: WebSocketServer | undefined
  let baseUrl: { ws: string; rest: string } | undefined
  let running = false
  let closing: Promise<void> | undefined

  const connections = new Set<Connection>()
  const subscribers = new Map<string, Set<Connection>>()
  const streamNames = new Map<string, { readonly trade: string; readonly bookTicker: string }>()
  const knownSymbols = new Set<string>()
  const warnedStreams = new Set<string>()
  let nextConnectionId = 1

  const malformedByKind = Object.fromEntries(allMalformedKinds.map((k) => [k, 0])) as Record<MalformedKind, number>
  const counters = {
    connectionsTotal: 0,
    connectionsRefused: 0,
    events: 0,
    framesSent: 0,
    bytesSent: 0,
    pingsSent: 0,
    pongsReceived: 0,
    unsolicitedPongs: 0,
    pongTimeouts: 0,
    lifetimeCloses: 0,
    slowConsumerDrops: 0,
    backpressureWaits: 0,
    restRequests: 0,
    restErrors: 0,
    drop: 0,
    serverShutdown: 0,
    duplicate: 0,
    reorder: 0,
    omit: 0,
    malformed: 0,
  }
  let marketTimeMicros: number | undefined
  let tapeEnded = false

  function validate(): void {
    const problems: string[] = []
    if (!(rate === 'max' || (typeof rate === 'number' && rate > 0 && Number.isFinite(rate)))) problems.push(`rate=${String(rate)} must be a positive number or 'max'`)
    for (const [name, v] of Object.entries({ pingIntervalMs, pongTimeoutMs, maxConnectionMs, highWaterBytes, stallTimeoutMs, oversizeFrameBytes: oversizeBytes, maxStreamsPerConnection: maxStreams })) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) problems.push(`${name}=${String(v)} must be a positive number`)
    }
    if (!(shutdownGraceMs >= 0 && Number.isFinite(shutdownGraceMs))) problems.push(`serverShutdownGraceMs=${shutdownGraceMs} must be 0 or more`)
    const known = ['drop', 'serverShutdown', 'duplicate', 'reorder', 'omit', 'malformed', 'malformedKinds']
    for (const [name, f] of Object.entries(faults)) {
      if (!known.includes(name)) problems.push(`faults.${name} is not a fault; known: ${known.join(', ')}`)
      if (name === 'malformedKinds' || f === undefined || !known.includes(name)) continue
      if (typeof f === 'number' ? !(f >= 0 && f <= 1) : !isSchedule(f)) problems.push(`faults.${name}=${JSON.stringify(f)} must be a probability 0–1, { everyFrames: n } or (drop, serverShutdown) { afterMs: n }`)
      if (typeof f === 'object' && f !== null && 'afterMs' in f && name !== 'drop' && name !== 'serverShutdown') problems.push(`faults.${name} cannot be { afterMs }: only drop and serverShutdown end a connection on a timer`)
    }
    for (const k of kinds) if (!allMalformedKinds.includes(k)) problems.push(`faults.malformedKinds has ${JSON.stringify(k)}; known kinds: ${allMalformedKinds.join(', ')}`)
    if (kinds.length === 0) problems.push('faults.malformedKinds is empty')
    if (problems.length > 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `replay exchange options are invalid:\n  - ${problems.join('\n  - ')}`)
  }

  // ---- the tape ---------------------------------------------------------------------------

  let pending: MarketEvent | undefined
  let anchor: { wallMs: number; marketMicros: number } | undefined
  let pumpTimer: ReturnType<typeof setTimeout> | undefined
  let pumpImmediate: ReturnType<typeof setImmediate> | undefined

  const dueMsOf = (ev: MarketEvent): number | undefined => (rate === 'max' || !anchor ? undefined : anchor.wallMs + (ev.timeMicros - anchor.marketMicros) / 1000 / rate)
  const scheduleLag = (): number => {
    const due = pending ? dueMsOf(pending) : undefined
    return due === undefined ? 0 : Math.max(0, Math.round(Date.now() - due))
  }

  /** The exchange's clock (ms): the market time due now on the schedule, else the newest event sent. */
  const marketClockMs = (): number => {
    if (rate !== 'max' && anchor) return anchor.marketMicros / 1000 + (Date.now() - anchor.wallMs) * rate
    return marketTimeMicros === undefined ? Date.now() : marketTimeMicros / 1000
  }

  const schedulePump = (delayMs: number): void => {
    if (!running || pumpTimer || pumpImmediate) return
    if (delayMs <= 0) pumpImmediate = setImmediate(pump)
    else pumpTimer = setTimeout(pump, Math.ceil(delayMs))
  }

  /** True while some connection has more queued than the high-water mark; drops the ones stuck too long. */
  const blocked = (now: number): boolean => {
    let any = false
    for (const c of connections) {
      if (c.ws.bufferedAmount <= highWaterBytes) {
        c.blockedSince = undefined
        continue
      }
      c.blockedSince ??= now
      if (now - c.blockedSince >= stallTimeoutMs) {
        counters.slowConsumerDrops++
        log.warn('dropping a slow consumer', { connection: c.id, bufferedBytes: c.ws.bufferedAmount, stalledMs: now - c.blockedSince })
        terminate(c)
        continue
      }
      any = true
    }
    return any
  }

  function pump(): void {
    pumpTimer = undefined
    pumpImmediate = undefined
    if (!running || !market || tapeEnded) return
    // As fast as possible is only worth it while someone listens; a paced tape moves on regardless.
    if (rate === 'max' && connections.size === 0) return
    const now = Date.now()
    if (blocked(now)) {
      counters.backpressureWaits++
      // Hold the next event while waiting, so the schedule lag it is accruing can be read.
      pending ??= market.next()
      pumpTimer = setTimeout(pump, 1)
      return
    }
    // Frames of one batch leave in as few writes as possible: each socket is corked for the
    // batch (ws corks per frame; nested corks flush only at the outermost uncork).
    const corked: Array<Pick<Duplex, 'uncork'>> = []
    for (const c of connections) {
      const socket = socketOf(c.ws)
      if (socket) {
        socket.cork()
        corked.push(socket)
      }
    }
    try {
      pumpBatch(market, now)
    } finally {
      for (const socket of corked) socket.uncork()
    }
  }

  function pumpBatch(market: ReplayMarket, now: number): void {
    for (let n = 1; n <= 2048; n++) {
      if (!pending) {
        pending = market.next()
        if (!pending) {
          tapeEnded = true
          log.info('the capture has been played to its end', { events: counters.events })
          return
        }
      }
      if (rate !== 'max') {
        anchor ??= { wallMs: now, marketMicros: pending.timeMicros }
        const wait = dueMsOf(pending)! - Date.now()
        if (wait > 0) return schedulePump(wait)
      }
      const ev = pending
      pending = undefined
      counters.events++
      marketTimeMicros = ev.timeMicros
      const point = (played[ev.symbol] ??= {})
      if (ev.kind === 'trade') {
        point.lastTradeId = ev.tradeId
        point.lastPrice = ev.price
      } else point.lastUpdateId = ev.updateId
      deliver(ev)
      if ((n & 63) === 0 && blocked(Date.now())) break
    }
    schedulePump(0)
  }

  const namesOf = (symbol: string): { readonly trade: string; readonly bookTicker: string } => {
    let names = streamNames.get(symbol)
    if (!names) {
      names = { trade: streamName(symbol, 'trade'), bookTicker: streamName(symbol, 'bookTicker') }
      streamNames.set(symbol, names)
    }
    return names
  }

  function deliver(ev: MarketEvent): void {
    const names = namesOf(ev.symbol)
    const stream = ev.kind === 'trade' ? names.trade : names.bookTicker
    const subs = subscribers.get(stream)
    if (!subs || subs.size === 0) return
    // Up to four renderings (raw/combined × ms/µs), built once for all connections.
    let rawMs: string | undefined
    let rawUs: string | undefined
    let combinedMs: string | undefined
    let combinedUs: string | undefined
    for (const c of subs) {
      let text: string
      const us = c.unit === 'MICROSECOND' && ev.kind === 'trade'
      if (us) {
        rawUs ??= tradeEventJson(toTradeEvent(ev, 'MICROSECOND'))
        text = c.combined ? (combinedUs ??= combinedFrameJson(stream, rawUs)) : rawUs
      } else {
        rawMs ??= ev.kind === 'trade' ? tradeEventJson(toTradeEvent(ev, 'MILLISECOND')) : bookTickerEventJson(toBookTickerEvent(ev))
        text = c.combined ? (combinedMs ??= combinedFrameJson(stream, rawMs)) : rawMs
      }
      offer(c, text, ev, stream)
    }
  }

  // ---- per-connection faults and sending ---------------------------------------------------

  const fires = (f: ConnectionFault | undefined, c: Connection): boolean => {
    if (f === undefined) return false
    if (typeof f === 'number') return f > 0 && (f >= 1 || c.rng.float() < f)
    if ('everyFrames' in f) return c.frames % f.everyFrames === 0
    return false // { afterMs } runs on a timer
  }

  const send = (c: Connection, text: string): void => {
    c.ws.send(text)
    counters.framesSent++
    counters.bytesSent += text.length
  }

  /** One data frame for one connection, through the fault injectors. */
  function offer(c: Connection, text: string, ev: MarketEvent, stream: string): void {
    if (c.closed) return
    c.frames++
    if (fires(faults.drop, c)) return dropConnection(c)
    if (fires(faults.serverShutdown, c)) return shutDownConnection(c)
    if (fires(faults.malformed, c)) {
      const kind = kinds[c.rng.int(kinds.length)]!
      const source = ev.kind === 'trade' ? { trade: toTradeEvent(ev, c.unit) } : { quote: toBookTickerEvent(ev) }
      send(c, malformedFrameJson(kind, source, c.combined ? stream : undefined, oversizeBytes))
      counters.malformed++
      malformedByKind[kind]++
    }
    if (fires(faults.omit, c)) {
      counters.omit++
      return
    }
    if (c.held !== undefined) {
      // The held frame goes after this one: the pair arrives swapped.
      send(c, text)
      send(c, c.held)
      c.held = undefined
      return
    }
    if (fires(faults.reorder, c)) {
      counters.reorder++
      c.held = text
      return
    }
    send(c, text)
    if (fires(faults.duplicate, c)) {
      counters.duplicate++
      send(c, text)
    }
  }

  function dropConnection(c: Connection): void {
    counters.drop++
    log.debug('fault: dropping a connection', { connection: c.id })
    terminate(c)
  }

  function shutDownConnection(c: Connection): void {
    if (c.shuttingDown) return
    c.shuttingDown = true
    counters.serverShutdown++
    log.debug('fault: serverShutdown', { connection: c.id, graceMs: shutdownGraceMs })
    sendShutdown(c)
    if (shutdownGraceMs === 0) return closeConnection(c, 1001, 'server shutdown')
    c.timers.push(setTimeout(() => closeConnection(c, 1001, 'server shutdown'), shutdownGraceMs))
  }

  function sendShutdown(c: Connection): void {
    if (c.closed || c.ws.readyState !== WebSocket.OPEN) return
    const micros = marketTimeMicros ?? Date.now() * 1000
    const data = serverShutdownEventJson({ e: 'serverShutdown', E: c.unit === 'MICROSECOND' ? micros : Math.floor(micros / 1000) })
    send(c, c.combined ? combinedFrameJson(serverShutdownStream, data) : data)
  }

  /** Forgets the connection: its subscriptions and timers. */
  function detach(c: Connection): void {
    if (c.closed) return
    c.closed = true
    connections.delete(c)
    for (const s of c.streams) {
      const set = subscribers.get(s)
      set?.delete(c)
      if (set?.size === 0) subscribers.delete(s)
    }
    for (const t of c.timers) clearTimeout(t)
    if (c.pongTimer) clearTimeout(c.pongTimer)
  }

  /** Cuts the connection without a close frame; frames already sent are flushed to the kernel first. */
  function terminate(c: Connection): void {
    detach(c)
    const socket = socketOf(c.ws)
    while (socket && socket.writableCorked > 0) socket.uncork()
    c.ws.terminate()
  }

  function closeConnection(c: Connection, code: number, reason: string): void {
    detach(c)
    c.ws.close(code, reason)
    // A client that never answers the close frame is cut off.
    setTimeout(() => c.ws.terminate(), 2_000).unref()
  }

  // ---- connections ---------------------------------------------------------------------------

  const refuse = (socket: Duplex, status: number, text: string, body: { code: number; msg: string }): void => {
    counters.connectionsRefused++
    const json = binanceErrorJson(body)
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`)
  }

  /** Validates stream names; returns an error message for the first bad one. */
  const checkStreams = (names: readonly string[]): string | undefined => {
    if (names.length > maxStreams) return `${names.length} streams requested; a connection may hold at most ${maxStreams}`
    const unlisted: string[] = []
    for (const n of names) {
      const parsed = parseStreamName(n)
      if (!parsed) return `invalid stream name ${JSON.stringify(n)}: the replay exchange serves <symbol>@trade and <symbol>@bookTicker with a lower-case symbol`
      if (!knownSymbols.has(parsed.symbol.toUpperCase()) && !warnedStreams.has(n)) unlisted.push(n)
    }
    if (unlisted.length > 0) {
      // As on Binance the subscription is accepted and stays silent; say so once per stream name.
      for (const n of unlisted) warnedStreams.add(n)
      log.warn('streams name symbols the market does not list; they will get no frames (see GET /api/v3/exchangeInfo)', { count: unlisted.length, streams: unlisted.slice(0, 5).join(',') })
    }
    return undefined
  }

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client told `serverShutdown` reconnects at once; while closing there is no tape to give it.
    if (closing) return refuse(socket, 503, 'Service Unavailable', { code: BinanceErrorCode.ServerBusy, msg: 'the replay exchange is shutting down; reconnect when it is back' })
    const url = new URL(req.url ?? '/', 'http://replay')
    let names: string[]
    let combined: boolean
    if (url.pathname === '/stream' || url.pathname === '/stream/') {
      combined = true
      names = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
    } else if (url.pathname === '/ws' || url.pathname.startsWith('/ws/')) {
      combined = false
      names = url.pathname.slice(3).split('/').filter(Boolean)
    } else {
      return refuse(socket, 404, 'Not Found', { code: BinanceErrorCode.IllegalChars, msg: `no WebSocket endpoint at ${url.pathname}: use /stream?streams=<a>/<b> or /ws/<stream>` })
    }
    const unitParam = url.searchParams.get('timeUnit')
    const unit = unitParam === null ? 'MILLISECOND' : timeUnits[unitParam]
    if (!unit) return refuse(socket, 400, 'Bad Request', { code: BinanceErrorCode.IllegalChars, msg: `Invalid timeUnit ${JSON.stringify(unitParam)}: use MILLISECOND or MICROSECOND` })
    const problem = checkStreams(names)
    if (problem) return refuse(socket, 400, 'Bad Request', { code: BinanceErrorCode.IllegalChars, msg: problem })
    wss!.handleUpgrade(req, socket, head, (ws) => onConnection(ws, combined, unit, names))
  }

  function subscribe(c: Connection, names: readonly string[]): void {
    for (const n of names) {
      c.streams.add(n)
      let set = subscribers.get(n)
      if (!set) subscribers.set(n, (set = new Set()))
      set.add(c)
    }
  }

  function unsubscribe(c: Connection, names: readonly string[]): void {
    for (const n of names) {
      c.streams.delete(n)
      const set = subscribers.get(n)
      set?.delete(c)
      if (set?.size === 0) subscribers.delete(n)
    }
  }

  function onConnection(ws: WebSocket, combined: boolean, unit: BinanceTimeUnit, names: readonly string[]): void {
    const id = nextConnectionId++
    const c: Connection = {
      id,
      ws,
      combined,
      unit,
      streams: new Set(),
      openedAt: Date.now(),
      rng: createSeededRandom(seed * 7919 + id),
      frames: 0,
      held: undefined,
      pings: [],
      awaitingSince: undefined,
      blockedSince: undefined,
      timers: [],
      pongTimer: undefined,
      shuttingDown: false,
      closed: false,
    }
    connections.add(c)
    counters.connectionsTotal++
    subscribe(c, names)
    log.info('client connected', { connection: id, streams: names.length, combined, timeUnit: unit })

    c.timers.push(setInterval(() => ping(c), pingIntervalMs))
    c.timers.push(
      setTimeout(() => {
        counters.lifetimeCloses++
        log.info('closing a connection at its maximum lifetime', { connection: id, maxConnectionMs })
        closeConnection(c, 1000, 'connection lifetime exceeded')
      }, maxConnectionMs),
    )
    for (const [name, f] of [['drop', faults.drop], ['serverShutdown', faults.serverShutdown]] as const) {
      if (typeof f === 'object' && 'afterMs' in f) c.timers.push(setTimeout(() => (name === 'drop' ? dropConnection(c) : shutDownConnection(c)), f.afterMs))
    }

    ws.on('pong', (data: Buffer) => {
      const payload = data.toString('utf8')
      const at = c.pings.indexOf(payload)
      if (at < 0) {
        counters.unsolicitedPongs++
        return
      }
      counters.pongsReceived++
      c.pings.length = 0
      c.awaitingSince = undefined
      if (c.pongTimer) clearTimeout(c.pongTimer)
      c.pongTimer = undefined
    })
    ws.on('message', (data: RawData, isBinary: boolean) => onRequest(c, isBinary ? undefined : rawText(data)))
    ws.on('close', (code: number) => {
      detach(c)
      log.info('client disconnected', { connection: id, code })
    })
    ws.on('error', (err: Error) => log.warn('connection error', { connection: id, error: errorMessage(err) }))
    if (rate === 'max') schedulePump(0)
  }

  function ping(c: Connection): void {
    if (c.closed || c.ws.readyState !== WebSocket.OPEN) return
    const payload = String(Date.now())
    c.ws.ping(payload)
    counters.pingsSent++
    c.pings.push(payload)
    if (c.pings.length > 16) c.pings.shift()
    if (c.awaitingSince === undefined) {
      c.awaitingSince = Date.now()
      c.pongTimer = setTimeout(() => {
        counters.pongTimeouts++
        log.warn('dropping a connection that did not answer a ping', { connection: c.id, pongTimeoutMs })
        terminate(c)
      }, pongTimeoutMs)
    }
  }

  /** Live requests (web-socket-streams.md, "Live Subscribing/Unsubscribing to streams"). */
  function onRequest(c: Connection, text: string | undefined): void {
    const reply = (body: unknown): void => send(c, JSON.stringify(body))
    let req: unknown
    try {
      if (text === undefined) throw new Error('binary')
      req = JSON.parse(text)
    } catch {
      return reply({ code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' })
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return reply({ code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' })
    const { method, params, id } = req as { method?: unknown; params?: unknown; id?: unknown }
    if (!(id === null || typeof id === 'number' || (typeof id === 'string' && /^[A-Za-z0-9]{1,36}$/.test(id)))) {
      return reply({ code: 2, msg: 'Invalid request: request ID must be an unsigned integer' })
    }
    const streams = Array.isArray(params) && params.every((p) => typeof p === 'string') ? (params as string[]) : undefined
    switch (method) {
      case 'SUBSCRIBE': {
        const problem = streams ? checkStreams([...c.streams, ...streams.filter((s) => !c.streams.has(s))]) : 'params must be a list of stream names'
        if (problem) return reply({ code: 2, msg: `Invalid request: ${problem}`, id })
        subscribe(c, streams!)
        return reply({ result: null, id })
      }
      case 'UNSUBSCRIBE':
        if (!streams) return reply({ code: 2, msg: 'Invalid request: params must be a list of stream names', id })
        unsubscribe(c, streams)
        return reply({ result: null, id })
      case 'LIST_SUBSCRIPTIONS':
        return reply({ result: [...c.streams], id })
      case 'SET_PROPERTY':
        if (!Array.isArray(params) || params[0] !== 'combined') return reply({ code: 0, msg: 'Unknown property', id })
        if (typeof params[1] !== 'boolean') return reply({ code: 1, msg: 'Invalid value type: expected Boolean' })
        c.combined = params[1]
        return reply({ result: null, id })
      case 'GET_PROPERTY':
        if (!Array.isArray(params) || params[0] !== 'combined') return reply({ code: 0, msg: 'Unknown property', id })
        return reply({ result: c.combined, id })
      default:
        return reply({
          code: 2,
          msg: `Invalid request: unknown variant ${JSON.stringify(method)}, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\``,
        })
    }
  }

  // ---- REST ----------------------------------------------------------------------------------

  function onRequestHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    counters.restRequests++
    const answer = (status: number, body: string): void => {
      if (status >= 400) counters.restErrors++
      res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    const fail = (code: number, msg: string, status = 400): void => answer(status, binanceErrorJson({ code, msg }))
    const url = new URL(req.url ?? '/', 'http://replay')
    const routes = ['/api/v3/ping', '/api/v3/time', '/api/v3/exchangeInfo', '/api/v3/historicalTrades', '/k2/stats']
    if (!routes.includes(url.pathname)) return fail(-1000, `no endpoint at ${url.pathname}; the replay exchange serves ${routes.join(', ')}`, 404)
    if (req.method !== 'GET') return fail(-1000, `${req.method ?? ''} is not supported; use GET`, 405)
    const m = market!
    switch (url.pathname) {
      case '/api/v3/ping':
        return answer(200, '{}')
      case '/api/v3/time':
        return answer(200, `{"serverTime":${Math.floor(marketClockMs())}}`)
      case '/k2/stats':
        // Not Binance's: the exchange's own counters, for benchmarks and status lines.
        return answer(200, JSON.stringify(currentStats()))
      case '/api/v3/exchangeInfo': {
        const one = url.searchParams.get('symbol')
        const many = url.searchParams.get('symbols')
        let wanted: string[] | undefined
        if (one !== null) wanted = [one]
        else if (many !== null) {
          try {
            const parsed: unknown = JSON.parse(many)
            if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) throw new Error('not a list')
            wanted = parsed as string[]
          } catch {
            return fail(BinanceErrorCode.IllegalChars, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.")
          }
        }
        const only = wanted === undefined ? undefined : new Set(wanted)
        const instruments = only ? m.instruments.filter((i) => only.has(i.symbol)) : m.instruments
        if (only && instruments.length !== only.size) return fail(BinanceErrorCode.BadSymbol, 'Invalid symbol.')
        return answer(200, exchangeInfoJson(toExchangeInfo(instruments, Date.now())))
      }
      case '/api/v3/historicalTrades': {
        const symbol = url.searchParams.get('symbol')
        if (!symbol) return fail(BinanceErrorCode.MandatoryParamEmptyOrMalformed, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        const limitText = url.searchParams.get('limit')
        const fromIdText = url.searchParams.get('fromId')
        if (limitText !== null && !/^[0-9]{1,20}$/.test(limitText)) return fail(BinanceErrorCode.IllegalChars, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.")
        if (fromIdText !== null && !/^[0-9]{1,20}$/.test(fromIdText)) return fail(BinanceErrorCode.IllegalChars, "Illegal characters found in parameter 'fromId'; legal range is '^[0-9]{1,20}$'.")
        const limit = limitText === null ? historicalTradesDefaultLimit : Math.min(historicalTradesMaxLimit, Math.max(1, Number(limitText)))
        // Binance's REST time unit header (MICROSECOND or MILLISECOND, either case; ms when absent).
        const unitHeader = req.headers['x-mbx-time-unit']
        const unitText = typeof unitHeader === 'string' ? unitHeader.toUpperCase() : 'MILLISECOND'
        if (unitText !== 'MILLISECOND' && unitText !== 'MICROSECOND') return fail(BinanceErrorCode.IllegalChars, `Invalid X-MBX-TIME-UNIT ${JSON.stringify(String(unitHeader).slice(0, 40))}: use MILLISECOND or MICROSECOND`)
        const rows = m.history(symbol, fromIdText === null ? undefined : Number(fromIdText), limit, unitText === 'MICROSECOND' ? 'us' : 'ms')
        if (!rows) return fail(BinanceErrorCode.BadSymbol, 'Invalid symbol.')
        return answer(200, historicalTradesJson(rows))
      }
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  const notStarted = (): never => {
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, 'the replay exchange has no address yet: await start() first')
  }

  function currentStats(): ReplayExchangeStats {
    return {
      connectionsOpen: connections.size,
      connectionsTotal: counters.connectionsTotal,
      connectionsRefused: counters.connectionsRefused,
      events: counters.events,
      framesSent: counters.framesSent,
      bytesSent: counters.bytesSent,
      marketTimeMs: marketTimeMicros === undefined ? undefined : Math.floor(marketTimeMicros / 1000),
      tapeEnded,
      pingsSent: counters.pingsSent,
      pongsReceived: counters.pongsReceived,
      unsolicitedPongs: counters.unsolicitedPongs,
      pongTimeouts: counters.pongTimeouts,
      lifetimeCloses: counters.lifetimeCloses,
      slowConsumerDrops: counters.slowConsumerDrops,
      backpressureWaits: counters.backpressureWaits,
      scheduleLagMs: scheduleLag(),
      restRequests: counters.restRequests,
      restErrors: counters.restErrors,
      faults: {
        drop: counters.drop,
        serverShutdown: counters.serverShutdown,
        duplicate: counters.duplicate,
        reorder: counters.reorder,
        omit: counters.omit,
        malformed: counters.malformed,
        malformedByKind: { ...malformedByKind },
      },
    }
  }

  return {
    get url() {
      return baseUrl?.ws ?? notStarted()
    },
    get restUrl() {
      return baseUrl?.rest ?? notStarted()
    },
    async start() {
      if (server) return
      if (!market && options.capturePath) {
        let text: string
        try {
          text = await fs.promises.readFile(options.capturePath, 'utf8')
        } catch (err) {
          throw new WorkbenchError(ErrorCode.ConfigInvalid, `cannot read the capture ${options.capturePath}: ${errorMessage(err)}`, false, { cause: err })
        }
        const capture = createCaptureMarket(text, { source: options.capturePath, historyPerSymbol: options.historyPerSymbol, historyRetainMs: options.historyRetainMs })
        log.info('playing a capture', { path: options.capturePath, events: capture.size, skippedLines: capture.skipped })
        market = capture
      }
      if (!market) for (const [symbol, point] of Object.entries(options.resume ?? {})) played[symbol] = { ...point }
      market ??= createSyntheticMarket({
        seed,
        symbols: options.symbols,
        ...(options.actionsPerSecond === undefined ? {} : { actionsPerSecond: options.actionsPerSecond }),
        ...(options.takerShare === undefined ? {} : { takerShare: options.takerShare }),
        startTimeMs: options.startTimeMs ?? Date.now(),
        historyPerSymbol: options.historyPerSymbol,
        historyRetainMs: options.historyRetainMs,
        resume: options.resume,
      })
      for (const i of market.instruments) knownSymbols.add(i.symbol)

      wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 })
      const srv = http.createServer(onRequestHttp)
      server = srv
      srv.on('upgrade', onUpgrade)
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          reject(
            new WorkbenchError(
              ErrorCode.ServiceStartFailed,
              `the replay exchange cannot listen on ${host}:${options.port ?? 0}: ${errorMessage(err)}${(err as { code?: string }).code === 'EADDRINUSE' ? ' (another program holds the port: pick another one)' : ''}`,
              false,
              { cause: err },
            ),
          )
        }
        srv.once('error', onError)
        srv.listen(options.port ?? 0, host, () => {
          srv.off('error', onError)
          resolve()
        })
      })
      const { port } = srv.address() as AddressInfo
      const hostPart = host.includes(':') ? `[${host}]` : host
      baseUrl = { ws: `ws://${hostPart}:${port}`, rest: `http://${hostPart}:${port}` }
      running = true
      log.info('replay exchange listening', { url: baseUrl.ws, symbols: market.instruments.length, rate })
      schedulePump(0)
    },
    close() {
      closing ??= (async () => {
        running = false
        if (pumpTimer) clearTimeout(pumpTimer)
        if (pumpImmediate) clearImmediate(pumpImmediate)
        const open = [...connections]
        for (const c of open) {
          sendShutdown(c)
          closeConnection(c, 1001, 'server shutdown')
        }
        // Give clients a moment to answer the close frames, then cut whatever is left.
        const deadline = Date.now() + 1_000
        while (open.some((c) => c.ws.readyState !== WebSocket.CLOSED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
        // Every connection, not only those open at the start: ws's server closes only when none is left.
        for (const c of [...connections]) c.ws.terminate()
        for (const c of open) c.ws.terminate()
        const srv = server
        if (wss) await new Promise<void>((resolve) => wss!.close(() => resolve()))
        if (srv) {
          srv.closeAllConnections()
          await new Promise<void>((resolve) => srv.close(() => resolve()))
        }
        log.info('replay exchange closed', { events: counters.events, framesSent: counters.framesSent })
      })()
      return closing
    },
    resumePoint() {
      return Object.fromEntries(Object.entries(played).map(([symbol, point]) => [symbol, { ...point }]))
    },
    setRate(next) {
      if (!(next === 'max' || (typeof next === 'number' && next > 0 && Number.isFinite(next)))) throw new WorkbenchError(ErrorCode.ConfigInvalid, `rate=${String(next)} must be a positive number or 'max'`)
      rate = next
      // Pace from here: the next event is due now, later ones at the new rate.
      anchor = undefined
      if (pumpTimer) clearTimeout(pumpTimer)
      pumpTimer = undefined
      if (running) schedulePump(0)
    },
    stats: currentStats,
  }
}

function isSchedule(f: unknown): boolean {
  if (typeof f !== 'object' || f === null) return false
  const v = 'everyFrames' in f ? (f as { everyFrames: unknown }).everyFrames : 'afterMs' in f ? (f as { afterMs: unknown }).afterMs : undefined
  return typeof v === 'number' && Number.isInteger(v) && v > 0
}

/** The TCP socket under a ws WebSocket (ws keeps it in `_socket`); undefined if that ever changes. */
function socketOf(ws: WebSocket): Pick<Duplex, 'cork' | 'uncork' | 'writableCorked'> | undefined {
  const socket = (ws as unknown as { _socket?: unknown })._socket
  return socket instanceof Duplex ? socket : undefined
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}
