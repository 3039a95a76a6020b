import WebSocket from 'ws'
import { backoffDelay, type RetryPolicy } from '../errors/index'
import type { Logger } from '../logger/index'

/** Why a connection ended, as counted in metrics (a bounded set). */
export type DisconnectCause = 'closed' | 'error' | 'server_shutdown' | 'rolled' | 'stale'

export interface BinanceWsSourceOptions {
  /** Base of the market-stream endpoint, e.g. `wss://stream.binance.com:9443` or the replay exchange. */
  readonly wsUrl: string
  /** Stream names, e.g. `btcusdt@trade`, `btcusdt@bookTicker`. */
  readonly streams: readonly string[]
  readonly timeUnit: 'ms' | 'us'
  /** A connection is replaced by a fresh one before it reaches this age (Binance ends them at 24 h). */
  readonly maxConnectionMs: number
  /** No frame and no ping for this long means the connection is dead: replace it. */
  readonly staleAfterMs?: number
  /** Delays between reconnection attempts (attempts are unlimited while the source runs). */
  readonly reconnectPolicy?: RetryPolicy
}

export interface BinanceWsSourceEvents {
  /** One text frame, with its receive time in µs. Called synchronously from the socket. */
  onFrame(frame: string, receivedMicros: bigint): void
  onConnected?(connection: number, reason: 'start' | 'reconnect' | 'roll'): void
  onDisconnected?(connection: number, cause: DisconnectCause, detail: string): void
}

export interface BinanceWsSource {
  /** Connects; resolves once the first connection is open. */
  start(): Promise<void>
  /** Closes every connection and stops reconnecting. Safe to call twice. */
  close(): Promise<void>
  /** Stops reading from the sockets (TCP back-pressure reaches the exchange); frames already read still arrive. */
  pause(): void
  resume(): void
  stats(): { readonly connections: number; readonly open: number; readonly frames: number }
}

const defaultReconnect: RetryPolicy = { attempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 250, maxDelayMs: 15_000, factor: 2, jitter: 0.3 }

/** Current time in µs since the epoch (sub-millisecond from the monotonic clock). */
export function nowMicros(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000))
}

/**
 * A Binance combined-stream client (`/stream?streams=a/b`). Answers pings (the `ws` library
 * pongs), reconnects with jittered backoff, and replaces a connection without a gap before
 * Binance's 24 h limit or when the server announces `serverShutdown`: the new connection opens
 * first and the old one closes once the new one delivers, so for a moment frames arrive twice
 * (the ingest sequencing drops the duplicates). Spec: Binance Spot "WebSocket Streams".
 */
export function createBinanceWsSource(options: BinanceWsSourceOptions, events: BinanceWsSourceEvents, deps: { logger: Logger }): BinanceWsSource {
  const log = deps.logger
  const policy = options.reconnectPolicy ?? defaultReconnect
  const staleAfterMs = options.staleAfterMs ?? 60_000
  const url = `${options.wsUrl.replace(/\/+$/, '')}/stream?streams=${options.streams.join('/')}${options.timeUnit === 'us' ? '&timeUnit=MICROSECOND' : ''}`

  let closed = false
  let paused = false
  let connectionCount = 0
  let frames = 0
  let failures = 0
  let reconnectTimer: NodeJS.Timeout | undefined
  const live = new Set<Connection>()
  /** The connection whose end triggers a reconnect (the newest one). */
  let primary: Connection | undefined

  interface Connection {
    readonly id: number
    readonly socket: WebSocket
    lastActivity: number
    delivered: boolean
    ending: DisconnectCause | undefined
    timers: NodeJS.Timeout[]
  }

  const open = (reason: 'start' | 'reconnect' | 'roll'): Promise<void> =>
    new Promise((resolve, reject) => {
      const id = ++connectionCount
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 16 * 2 ** 20 })
      const conn: Connection = { id, socket, lastActivity: Date.now(), delivered: false, ending: undefined, timers: [] }
      live.add(conn)
      const previous = primary
      primary = conn
      let opened = false

      socket.on('open', () => {
        opened = true
        if (paused) socket.pause()
        if (reason !== 'roll') failures = 0
        log.info('feed connected', { connection: id, reason, streams: options.streams.length })
        events.onConnected?.(id, reason)
        conn.timers.push(setTimeout(() => roll(conn, 'rolled'), options.maxConnectionMs))
        conn.timers.push(
          setInterval(() => {
            if (Date.now() - conn.lastActivity > staleAfterMs) end(conn, 'stale', `no frame or ping for ${staleAfterMs} ms`)
          }, Math.min(staleAfterMs, 5000)),
        )
        resolve()
      })
      socket.on('ping', () => {
        conn.lastActivity = Date.now()
      })
      socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        const received = nowMicros()
        conn.lastActivity = Date.now()
        frames++
        const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()
        if (!conn.delivered) {
          conn.delivered = true
          // A replacement is delivering: the connection it replaces can go now.
          if (previous && previous !== conn && previous.ending === 'rolled') end(previous, 'rolled', 'replaced')
        }
        events.onFrame(text, received)
        if (text.includes('"serverShutdown"') && conn.ending === undefined) roll(conn, 'server_shutdown')
      })
      socket.on('error', (err: Error) => {
        if (!opened) reject(err)
        // Ends this connection; if it is the newest, that schedules the next attempt.
        end(conn, 'error', err.message)
      })
      socket.on('close', (code: number, why: Buffer) => {
        end(conn, conn.ending ?? 'closed', `code ${code}${why.length ? ` ${why.toString()}` : ''}`)
      })
    })

  /** Opens a replacement; `from` ends when the replacement delivers (or now, if it cannot open). */
  const roll = (from: Connection, cause: 'rolled' | 'server_shutdown'): void => {
    if (closed || from.ending) return
    from.ending = 'rolled'
    log.info(cause === 'server_shutdown' ? 'feed server announced shutdown: replacing connection' : 'feed connection reached its age limit: replacing it', { connection: from.id })
    open('roll').catch((err: Error) => {
      log.warn('replacement connection failed; reconnecting', { error: err.message })
      end(from, cause, err.message)
    })
  }

  const end = (conn: Connection, cause: DisconnectCause, detail: string): void => {
    if (!live.has(conn)) return
    live.delete(conn)
    for (const t of conn.timers) clearTimeout(t)
    conn.ending ??= cause
    if (conn.socket.readyState === WebSocket.OPEN || conn.socket.readyState === WebSocket.CONNECTING) conn.socket.terminate()
    events.onDisconnected?.(conn.id, cause === 'rolled' ? 'rolled' : cause, detail)
    if (!closed && primary === conn) scheduleReconnect(cause, detail)
  }

  const scheduleReconnect = (cause: DisconnectCause, detail: string): void => {
    failures++
    const delay = backoffDelay(policy, failures)
    log.warn('feed disconnected; reconnecting', { cause, detail, inMs: delay, attempt: failures })
    clearTimeout(reconnectTimer)
    reconnectTimer = setTimeout(() => {
      if (closed) return
      open('reconnect').catch(() => {
        // the socket's 'error' handler already scheduled the next attempt through end()
      })
    }, delay)
  }

  return {
    async start() {
      try {
        await open('start')
      } catch (err) {
        // The first attempt failed; keep trying in the background like any reconnect.
        log.warn('feed unreachable at start; retrying', { url, error: (err as Error).message })
        await new Promise<void>((resolve) => {
          const check = setInterval(() => {
            if (closed || [...live].some((c) => c.socket.readyState === WebSocket.OPEN)) {
              clearInterval(check)
              resolve()
            }
          }, 50)
        })
      }
    },

    async close() {
      if (closed) return
      closed = true
      clearTimeout(reconnectTimer)
      const waits = [...live].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.socket.once('close', () => resolve())
            for (const t of c.timers) clearTimeout(t)
            c.ending = 'closed'
            if (c.socket.readyState === WebSocket.OPEN) c.socket.close(1000)
            else c.socket.terminate()
            setTimeout(resolve, 2000).unref()
          }),
      )
      await Promise.all(waits)
      live.clear()
    },

    pause() {
      paused = true
      for (const c of live) c.socket.pause()
    },

    resume() {
      paused = false
      for (const c of live) {
        c.lastActivity = Date.now()
        c.socket.resume()
      }
    },

    stats() {
      return { connections: connectionCount, open: [...live].filter((c) => c.socket.readyState === WebSocket.OPEN).length, frames }
    },
  }
}
