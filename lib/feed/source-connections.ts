import type { Logger } from '../logger/index'
import { planConnections, type ConnectionPlanLimits } from './connection-plan'
import { createBinanceWsSource, type BinanceWsSource, type BinanceWsSourceEvents, type BinanceWsSourceOptions } from './source-binance-ws'

/** Events of a feed over several connections: each carries the connection group it came from. */
export interface GroupedSourceEvents {
  onFrame(frame: string, receivedMicros: bigint): void
  onConnected?(group: number, reason: 'start' | 'reconnect' | 'roll'): void
  onDisconnected?(group: number, cause: Parameters<NonNullable<BinanceWsSourceEvents['onDisconnected']>>[1], detail: string): void
}

export interface GroupedSource extends BinanceWsSource {
  /** How many connection groups the streams were spread over (connection-plan.ts). */
  readonly groups: number
}

/**
 * The streams spread over as many connections as Binance's limits need (connection-plan.ts),
 * each a source of its own: connected, rolled over before 24 h and reconnected independently, so
 * one connection's roll or outage leaves the others reading. Frames from all arrive through one
 * `onFrame`; the ingest's sequencing and gap repair work per symbol, whatever connection a
 * symbol is on. `create` is the single-connection source (a test may give its own).
 */
export function createGroupedWsSource(
  options: BinanceWsSourceOptions & { readonly limits?: ConnectionPlanLimits },
  events: GroupedSourceEvents,
  deps: { logger: Logger },
  create: (o: BinanceWsSourceOptions, e: BinanceWsSourceEvents, d: { logger: Logger }) => BinanceWsSource = createBinanceWsSource,
): GroupedSource {
  const plan = planConnections(options.streams, options.limits)
  const sources = plan.map((streams, group) =>
    create(
      { ...options, streams },
      {
        onFrame: events.onFrame,
        onConnected: (_id, reason) => events.onConnected?.(group, reason),
        onDisconnected: (_id, cause, detail) => events.onDisconnected?.(group, cause, detail),
      },
      { logger: plan.length === 1 ? deps.logger : deps.logger.child(`connection-${group}`) },
    ),
  )
  return {
    groups: plan.length,
    async start() {
      await Promise.all(sources.map((s) => s.start()))
    },
    async close() {
      await Promise.all(sources.map((s) => s.close()))
    },
    pause: () => sources.forEach((s) => s.pause()),
    resume: () => sources.forEach((s) => s.resume()),
    stats() {
      const all = sources.map((s) => s.stats())
      return { connections: all.reduce((n, s) => n + s.connections, 0), open: all.reduce((n, s) => n + s.open, 0), frames: all.reduce((n, s) => n + s.frames, 0) }
    },
  }
}
