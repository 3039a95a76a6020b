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
 *
 * This file binds the port and composes the parts, in the order data flows through them:
 * replay-exchange-options.ts (settings), replay-tape.ts (the pump, paced by replay-pacing.ts),
 * replay-fanout.ts (events to subscribers, through replay-faults.ts), replay-connections.ts
 * (each client, answering through replay-protocol.ts), replay-rest.ts (the REST endpoints) and
 * replay-stats.ts (the counters).
 */
import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { Logger } from '../logger/logger'
import { BinanceErrorCode, binanceErrorJson, type BinanceErrorBody } from './binance-frames'
import { createCaptureMarket } from './capture-market'
import type { MarketResumePoint } from './market-events'
import { checkStreams, closeConnection, createReplayHub, openConnection, sendShutdown, type ReplayHub } from './replay-connections'
import { replaySettings, type ReplayExchangeOptions, type ReplaySettings } from './replay-exchange-options'
import { createReplayFanout } from './replay-fanout'
import type { ReplayMarket } from './replay-market'
import { isReplayRate } from './replay-pacing'
import { parseStreamHandshake } from './replay-protocol'
import { answerRestRequest } from './replay-rest'
import { createReplayCounters, replayStats, type ReplayCounters, type ReplayExchangeStats } from './replay-stats'
import { createReplayTape } from './replay-tape'
import { createSyntheticMarket } from './synthetic-market'

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

/** Creates a replay exchange; nothing listens until start(). */
export function createReplayExchange(options: ReplayExchangeOptions, deps: ReplayExchangeDeps): ReplayExchange {
  const log = deps.logger.child('replay-exchange')
  const settings = replaySettings(options)
  const counters = createReplayCounters()
  const hub = createReplayHub(settings, log, counters)
  const fanout = createReplayFanout(hub)
  const tape = createReplayTape(hub, fanout, settings.rate, log)

  let market: ReplayMarket | undefined = options.market
  let server: http.Server | undefined
  let wss: WebSocketServer | undefined
  let baseUrl: { ws: string; rest: string } | undefined
  let closing: Promise<void> | undefined

  const stats = (): ReplayExchangeStats =>
    replayStats(counters, { connectionsOpen: hub.connections.size, marketTimeMicros: hub.lastEventMicros, tapeEnded: tape.ended, scheduleLagMs: tape.lagMs() })

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    counters.restRequests++
    const request = { method: req.method, url: req.url, timeUnit: req.headers['x-mbx-time-unit'] }
    const { status, body } = answerRestRequest(request, { market: market!, clockMs: tape.clockMs, stats, nowMs: Date.now })
    if (status >= 400) counters.restErrors++
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A client told `serverShutdown` reconnects at once; while closing there is no tape to give it.
    if (closing) return refuse(counters, socket, 503, 'Service Unavailable', { code: BinanceErrorCode.ServerBusy, msg: 'the replay exchange is shutting down; reconnect when it is back' })
    const handshake = parseStreamHandshake(req.url)
    // `=== false`, not `!`: tslab's compiler narrows a boolean discriminant only by comparison.
    if (handshake.accepted === false) return refuse(counters, socket, handshake.status, handshake.statusText, handshake.error)
    const problem = checkStreams(hub, handshake.names)
    if (problem) return refuse(counters, socket, 400, 'Bad Request', { code: BinanceErrorCode.IllegalChars, msg: problem })
    wss!.handleUpgrade(req, socket, head, (ws) => {
      openConnection(hub, ws, handshake.combined, handshake.unit, handshake.names)
      tape.connected()
    })
  }

  const notStarted = (): never => {
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, 'the replay exchange has no address yet: await start() first')
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
      if (!market && options.capturePath) market = await loadCapture(options, options.capturePath, log)
      if (!market) tape.continueFrom(options.resume ?? {})
      market ??= syntheticMarket(options, settings.seed)
      for (const i of market.instruments) hub.knownSymbols.add(i.symbol)

      wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 })
      const srv = http.createServer(onRequest)
      server = srv
      srv.on('upgrade', onUpgrade)
      await listen(srv, settings)
      const { port } = srv.address() as AddressInfo
      const hostPart = settings.host.includes(':') ? `[${settings.host}]` : settings.host
      baseUrl = { ws: `ws://${hostPart}:${port}`, rest: `http://${hostPart}:${port}` }
      log.info('replay exchange listening', { url: baseUrl.ws, symbols: market.instruments.length, rate: tape.rate })
      tape.play(market)
    },
    close() {
      closing ??= (async () => {
        tape.stop()
        await closeConnections(hub)
        await closeServers(wss, server)
        log.info('replay exchange closed', { events: counters.events, framesSent: counters.framesSent })
      })()
      return closing
    },
    resumePoint: () => tape.resumePoint(),
    setRate(next) {
      if (!isReplayRate(next)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `rate=${String(next)} must be a positive number or 'max'`)
      tape.setRate(next)
    },
    stats,
  }
}

/** Reads and parses the capture at `path`; an unreadable file is a CONFIG_INVALID naming it. */
async function loadCapture(options: ReplayExchangeOptions, path: string, log: Logger): Promise<ReplayMarket> {
  let text: string
  try {
    text = await fs.promises.readFile(path, 'utf8')
  } catch (err) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `cannot read the capture ${path}: ${errorMessage(err)}`, false, { cause: err })
  }
  const capture = createCaptureMarket(text, { source: path, historyPerSymbol: options.historyPerSymbol, historyRetainMs: options.historyRetainMs })
  log.info('playing a capture', { path, events: capture.size, skippedLines: capture.skipped })
  return capture
}

/** The synthetic market the options describe; its timestamps start now unless `startTimeMs` says otherwise, so they look live. */
function syntheticMarket(options: ReplayExchangeOptions, seed: number): ReplayMarket {
  return createSyntheticMarket({
    seed,
    symbols: options.symbols,
    ...(options.actionsPerSecond === undefined ? {} : { actionsPerSecond: options.actionsPerSecond }),
    ...(options.takerShare === undefined ? {} : { takerShare: options.takerShare }),
    ...(options.stress === undefined ? {} : { stress: options.stress }),
    startTimeMs: options.startTimeMs ?? Date.now(),
    historyPerSymbol: options.historyPerSymbol,
    historyRetainMs: options.historyRetainMs,
    resume: options.resume,
  })
}

async function listen(srv: http.Server, settings: ReplaySettings): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new WorkbenchError(
          ErrorCode.ServiceStartFailed,
          `the replay exchange cannot listen on ${settings.host}:${settings.port}: ${errorMessage(err)}${(err as { code?: string }).code === 'EADDRINUSE' ? ' (another program holds the port: pick another one)' : ''}`,
          false,
          { cause: err },
        ),
      )
    }
    srv.once('error', onError)
    srv.listen(settings.port, settings.host, () => {
      srv.off('error', onError)
      resolve()
    })
  })
}

/** Answers a handshake it will not upgrade with an HTTP error carrying Binance's error body, and counts it. */
function refuse(counters: ReplayCounters, socket: Duplex, status: number, text: string, body: BinanceErrorBody): void {
  counters.connectionsRefused++
  const json = binanceErrorJson(body)
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`)
}

/** Sends every client a serverShutdown and a close, gives them a second to answer, then cuts what is left. */
async function closeConnections(hub: ReplayHub): Promise<void> {
  const open = [...hub.connections]
  for (const c of open) {
    sendShutdown(hub, c)
    closeConnection(hub, c, 1001, 'server shutdown')
  }
  const deadline = Date.now() + 1_000
  while (open.some((c) => c.ws.readyState !== WebSocket.CLOSED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  // Every connection, not only those open at the start: ws's server closes only when none is left.
  for (const c of [...hub.connections]) c.ws.terminate()
  for (const c of open) c.ws.terminate()
}

async function closeServers(wss: WebSocketServer | undefined, srv: http.Server | undefined): Promise<void> {
  if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()))
  if (srv) {
    srv.closeAllConnections()
    await new Promise<void>((resolve) => srv.close(() => resolve()))
  }
}
