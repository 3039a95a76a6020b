import type { ConnectionPlanLimits } from '../feed/connection-plan'
import type { BinanceWsSource, BinanceWsSourceEvents, BinanceWsSourceOptions } from '../feed/source-binance-ws'
import { createGroupedWsSource } from '../feed/source-connections'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { createConnectionHealth } from './connection-health'
import type { Pausable } from './feed-gate'

export interface ConnectionSetOptions {
  readonly wsUrl: string
  readonly streams: readonly string[]
  readonly timeUnit: 'ms' | 'us'
  readonly maxConnectionMs: number
  readonly limits?: ConnectionPlanLimits
}

export interface ConnectionSetDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  /** The single-connection source; a test may give its own. */
  readonly createSource?: (options: BinanceWsSourceOptions, events: BinanceWsSourceEvents, deps: { logger: Logger }) => BinanceWsSource
}

/** The feed's WebSocket connections, read as one: frames from all of them reach one handler. */
export interface ConnectionSet extends Pausable {
  /** How many connections the streams were spread over. */
  readonly groups: number
  /** Resolves once every connection has opened (or keeps retrying in the background, like a reconnect). */
  start(): Promise<void>
  /** Closes every connection; the gauge keeps what their ends said until `markStopped`. */
  close(): Promise<void>
  /** The run is over: the connected gauge reads 0 whatever a late roll reported. */
  markStopped(): void
}

/**
 * The connections across which the ingest's streams are spread (connection-plan.ts), each rolled
 * and reconnected on its own (source-connections.ts), with what operators watch of them:
 * `k2_ingest_connected` (1 while every group is open) and reconnects by cause.
 */
export function createConnectionSet(options: ConnectionSetOptions, onFrame: (frame: string, receivedMicros: bigint) => void, deps: ConnectionSetDeps): ConnectionSet {
  const m = deps.metrics
  const connected = m.get('ingestConnected')
  const grouped = createGroupedWsSource(
    { wsUrl: options.wsUrl, streams: options.streams, timeUnit: options.timeUnit, maxConnectionMs: options.maxConnectionMs, ...(options.limits ? { limits: options.limits } : {}) },
    {
      onFrame,
      onConnected: (group, reason) => {
        connected.set(health.opened(group))
        if (reason !== 'start') m.get('ingestReconnects').labels(reason).inc()
      },
      onDisconnected: (group, cause) => {
        const value = health.closed(group, cause)
        if (value !== undefined) connected.set(value)
      },
    },
    { logger: deps.logger },
    deps.createSource,
  )
  // Sized by the plan the grouped source made; its events come only after start().
  const health = createConnectionHealth(grouped.groups)
  return {
    groups: grouped.groups,
    start: () => grouped.start(),
    close: () => grouped.close(),
    pause: () => grouped.pause(),
    resume: () => grouped.resume(),
    markStopped: () => connected.set(0),
  }
}
