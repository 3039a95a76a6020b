/**
 * The replay exchange's client connections over `ws`: each one's state and life, from the
 * accepted handshake through pings, live requests and timed faults to its close, and the registry
 * of who listens to which stream that the tape's fan-out reads. What to answer and which fault
 * strikes is decided by the pure replay-protocol.ts and replay-faults.ts; this file carries it out.
 *
 * Binance's connection rules (web-socket-streams.md): a ping frame every `pingIntervalMs`; a
 * connection that has not answered one with a pong carrying the same payload within
 * `pongTimeoutMs` is dropped (unsolicited pongs are allowed but do not count); a connection lives
 * at most `maxConnectionMs`; a `serverShutdown` event precedes a close with 1001.
 */
import { Duplex } from 'node:stream'
import { WebSocket, type RawData } from 'ws'
import { errorMessage } from '../errors/index'
import type { Logger } from '../logger/logger'
import type { BinanceTimeUnit } from './binance-frames'
import type { ReplaySettings } from './replay-exchange-options'
import { timedFaults, type FaultState } from './replay-faults'
import { answerLiveRequest, checkStreamNames, serverShutdownFrame } from './replay-protocol'
import type { ReplayCounters } from './replay-stats'
import { createSeededRandom } from './seeded-random'

/** One client connection; the fault decisions keep their state on it too. */
export interface Connection extends FaultState {
  readonly id: number
  readonly ws: WebSocket
  combined: boolean
  readonly unit: BinanceTimeUnit
  readonly streams: Set<string>
  readonly openedAt: number
  /** Payloads of pings not yet answered, and when the oldest was sent. */
  readonly pings: string[]
  awaitingSince: number | undefined
  /** Since when its send buffer has been above the high-water mark. */
  blockedSince: number | undefined
  readonly timers: Array<ReturnType<typeof setTimeout>>
  pongTimer: ReturnType<typeof setTimeout> | undefined
  /** serverShutdown sent; the close follows after the grace period. */
  shuttingDown: boolean
  closed: boolean
}

/** What the exchange's parts share: its settings, counters, connections and their subscriptions. */
export interface ReplayHub {
  readonly settings: ReplaySettings
  readonly log: Logger
  readonly counters: ReplayCounters
  readonly connections: Set<Connection>
  /** The open connections holding each stream name. */
  readonly subscribers: Map<string, Set<Connection>>
  /** Upper-case symbols the market lists (filled once the market is known). */
  readonly knownSymbols: Set<string>
  /** Stream names already warned about as naming no listed symbol. */
  readonly warnedStreams: Set<string>
  /** Market time of the last event played, µs (the tape writes it; serverShutdown events carry it). */
  lastEventMicros: number | undefined
  nextConnectionId: number
}

/** An empty hub: no connections yet, no market known. */
export function createReplayHub(settings: ReplaySettings, log: Logger, counters: ReplayCounters): ReplayHub {
  return {
    settings,
    log,
    counters,
    connections: new Set(),
    subscribers: new Map(),
    knownSymbols: new Set(),
    warnedStreams: new Set(),
    lastEventMicros: undefined,
    nextConnectionId: 1,
  }
}

/** Writes one frame and counts it. */
export function send(hub: ReplayHub, c: Connection, text: string): void {
  c.ws.send(text)
  hub.counters.framesSent++
  hub.counters.bytesSent += text.length
}

/** Validates stream names; returns an error message for the first bad one, and warns once per name about unlisted symbols. */
export function checkStreams(hub: ReplayHub, names: readonly string[]): string | undefined {
  const { problem, unlisted } = checkStreamNames(names, hub.settings.maxStreams, (symbol) => hub.knownSymbols.has(symbol))
  if (problem) return problem
  const fresh = unlisted.filter((n) => !hub.warnedStreams.has(n))
  if (fresh.length > 0) {
    // As on Binance the subscription is accepted and stays silent; say so once per stream name.
    for (const n of fresh) hub.warnedStreams.add(n)
    hub.log.warn('streams name symbols the market does not list; they will get no frames (see GET /api/v3/exchangeInfo)', { count: fresh.length, streams: fresh.slice(0, 5).join(',') })
  }
  return undefined
}

/** Takes an accepted WebSocket into the hub: subscribes it, and starts its pings, lifetime and timed faults. */
export function openConnection(hub: ReplayHub, ws: WebSocket, combined: boolean, unit: BinanceTimeUnit, names: readonly string[]): Connection {
  const { settings, log } = hub
  const id = hub.nextConnectionId++
  const c: Connection = {
    id,
    ws,
    combined,
    unit,
    streams: new Set(),
    openedAt: Date.now(),
    rng: createSeededRandom(settings.seed * 7919 + id),
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
  hub.connections.add(c)
  hub.counters.connectionsTotal++
  subscribe(hub, c, names)
  log.info('client connected', { connection: id, streams: names.length, combined, timeUnit: unit })

  c.timers.push(setInterval(() => ping(hub, c), settings.pingIntervalMs))
  c.timers.push(
    setTimeout(() => {
      hub.counters.lifetimeCloses++
      log.info('closing a connection at its maximum lifetime', { connection: id, maxConnectionMs: settings.maxConnectionMs })
      closeConnection(hub, c, 1000, 'connection lifetime exceeded')
    }, settings.maxConnectionMs),
  )
  for (const { fault, afterMs } of timedFaults(settings.faults)) {
    c.timers.push(setTimeout(() => (fault === 'drop' ? dropConnection(hub, c) : shutDownConnection(hub, c)), afterMs))
  }

  ws.on('pong', (data: Buffer) => onPong(hub, c, data.toString('utf8')))
  ws.on('message', (data: RawData, isBinary: boolean) => onLiveRequest(hub, c, isBinary ? undefined : rawText(data)))
  ws.on('close', (code: number) => {
    detach(hub, c)
    log.info('client disconnected', { connection: id, code })
  })
  ws.on('error', (err: Error) => log.warn('connection error', { connection: id, error: errorMessage(err) }))
  return c
}

function ping(hub: ReplayHub, c: Connection): void {
  if (c.closed || c.ws.readyState !== WebSocket.OPEN) return
  const payload = String(Date.now())
  c.ws.ping(payload)
  hub.counters.pingsSent++
  c.pings.push(payload)
  if (c.pings.length > 16) c.pings.shift()
  if (c.awaitingSince === undefined) {
    c.awaitingSince = Date.now()
    c.pongTimer = setTimeout(() => {
      hub.counters.pongTimeouts++
      hub.log.warn('dropping a connection that did not answer a ping', { connection: c.id, pongTimeoutMs: hub.settings.pongTimeoutMs })
      terminate(hub, c)
    }, hub.settings.pongTimeoutMs)
  }
}

/** A pong answers the pings up to the one whose payload it carries; any other is unsolicited. */
function onPong(hub: ReplayHub, c: Connection, payload: string): void {
  const at = c.pings.indexOf(payload)
  if (at < 0) {
    hub.counters.unsolicitedPongs++
    return
  }
  hub.counters.pongsReceived++
  c.pings.length = 0
  c.awaitingSince = undefined
  if (c.pongTimer) clearTimeout(c.pongTimer)
  c.pongTimer = undefined
}

/** Live requests (web-socket-streams.md, "Live Subscribing/Unsubscribing to streams"). */
function onLiveRequest(hub: ReplayHub, c: Connection, text: string | undefined): void {
  const { reply, change } = answerLiveRequest(text, c, (names) => checkStreams(hub, names))
  if (change && 'subscribe' in change) subscribe(hub, c, change.subscribe)
  else if (change && 'unsubscribe' in change) unsubscribe(hub, c, change.unsubscribe)
  else if (change && 'combined' in change) c.combined = change.combined
  send(hub, c, JSON.stringify(reply))
}

function subscribe(hub: ReplayHub, c: Connection, names: readonly string[]): void {
  for (const n of names) {
    c.streams.add(n)
    let set = hub.subscribers.get(n)
    if (!set) hub.subscribers.set(n, (set = new Set()))
    set.add(c)
  }
}

function unsubscribe(hub: ReplayHub, c: Connection, names: readonly string[]): void {
  for (const n of names) {
    c.streams.delete(n)
    const set = hub.subscribers.get(n)
    set?.delete(c)
    if (set?.size === 0) hub.subscribers.delete(n)
  }
}

/** The `drop` fault: cuts the connection abruptly. */
export function dropConnection(hub: ReplayHub, c: Connection): void {
  hub.counters.drop++
  hub.log.debug('fault: dropping a connection', { connection: c.id })
  terminate(hub, c)
}

/** The `serverShutdown` fault: the event now, the close with 1001 after the grace period. */
export function shutDownConnection(hub: ReplayHub, c: Connection): void {
  if (c.shuttingDown) return
  c.shuttingDown = true
  hub.counters.serverShutdown++
  const graceMs = hub.settings.shutdownGraceMs
  hub.log.debug('fault: serverShutdown', { connection: c.id, graceMs })
  sendShutdown(hub, c)
  if (graceMs === 0) return closeConnection(hub, c, 1001, 'server shutdown')
  c.timers.push(setTimeout(() => closeConnection(hub, c, 1001, 'server shutdown'), graceMs))
}

/** Sends a `serverShutdown` event at the market's time (the wall clock before the first event). */
export function sendShutdown(hub: ReplayHub, c: Connection): void {
  if (c.closed || c.ws.readyState !== WebSocket.OPEN) return
  send(hub, c, serverShutdownFrame(hub.lastEventMicros ?? Date.now() * 1000, c.unit, c.combined))
}

/** Forgets the connection: its subscriptions and timers. */
function detach(hub: ReplayHub, c: Connection): void {
  if (c.closed) return
  c.closed = true
  hub.connections.delete(c)
  for (const s of c.streams) {
    const set = hub.subscribers.get(s)
    set?.delete(c)
    if (set?.size === 0) hub.subscribers.delete(s)
  }
  for (const t of c.timers) clearTimeout(t)
  if (c.pongTimer) clearTimeout(c.pongTimer)
}

/** Cuts the connection without a close frame; frames already sent are flushed to the kernel first. */
export function terminate(hub: ReplayHub, c: Connection): void {
  detach(hub, c)
  const socket = socketOf(c.ws)
  while (socket && socket.writableCorked > 0) socket.uncork()
  c.ws.terminate()
}

/** Closes with a close frame; a client that never answers it is cut off after 2 s. */
export function closeConnection(hub: ReplayHub, c: Connection, code: number, reason: string): void {
  detach(hub, c)
  c.ws.close(code, reason)
  setTimeout(() => c.ws.terminate(), 2_000).unref()
}

/** The TCP socket under a ws WebSocket (ws keeps it in `_socket`); undefined if that ever changes. */
export function socketOf(ws: WebSocket): Pick<Duplex, 'cork' | 'uncork' | 'writableCorked'> | undefined {
  const socket = (ws as unknown as { _socket?: unknown })._socket
  return socket instanceof Duplex ? socket : undefined
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}
