/**
 * What a replay exchange is given, and the settings it runs on: every option with its default,
 * checked once at creation so a bad value fails there, naming itself, rather than mid-run. Pure.
 */
import { ErrorCode, WorkbenchError } from '../errors/index'
import { malformedKinds as allMalformedKinds, type MalformedKind } from './binance-frames'
import type { MarketResumePoint } from './market-events'
import { faultProblems, type ReplayFaults } from './replay-faults'
import type { ReplayMarket } from './replay-market'
import { isReplayRate, type ReplayRate } from './replay-pacing'

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
  /** Whether the synthetic market's stress regime comes (default true; see SyntheticMarketOptions). */
  readonly stress?: boolean
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
  readonly rate?: ReplayRate
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

/** The options with their defaults filled in, as the exchange's parts read them. */
export interface ReplaySettings {
  readonly host: string
  readonly port: number
  readonly rate: ReplayRate
  readonly seed: number
  readonly pingIntervalMs: number
  readonly pongTimeoutMs: number
  readonly maxConnectionMs: number
  readonly shutdownGraceMs: number
  readonly highWaterBytes: number
  readonly stallTimeoutMs: number
  readonly oversizeBytes: number
  readonly maxStreams: number
  readonly faults: ReplayFaults
  readonly malformedKinds: readonly MalformedKind[]
}

/** Fills in the defaults and checks every option; throws CONFIG_INVALID listing all that are wrong. */
export function replaySettings(options: ReplayExchangeOptions): ReplaySettings {
  const faults = options.faults ?? {}
  const settings: ReplaySettings = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    rate: options.rate ?? 1,
    seed: options.seed ?? 1,
    pingIntervalMs: options.pingIntervalMs ?? 20_000,
    pongTimeoutMs: options.pongTimeoutMs ?? 60_000,
    maxConnectionMs: options.maxConnectionMs ?? 86_400_000,
    shutdownGraceMs: options.serverShutdownGraceMs ?? 1_000,
    highWaterBytes: options.highWaterBytes ?? 1 << 20,
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    oversizeBytes: options.oversizeFrameBytes ?? 256 * 1024,
    maxStreams: options.maxStreamsPerConnection ?? 1024,
    faults,
    malformedKinds: faults.malformedKinds ?? allMalformedKinds,
  }
  const problems = settingsProblems(settings)
  if (problems.length > 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `replay exchange options are invalid:\n  - ${problems.join('\n  - ')}`)
  return settings
}

function settingsProblems(s: ReplaySettings): string[] {
  const problems: string[] = []
  if (!isReplayRate(s.rate)) problems.push(`rate=${String(s.rate)} must be a positive number or 'max'`)
  const positive = {
    pingIntervalMs: s.pingIntervalMs,
    pongTimeoutMs: s.pongTimeoutMs,
    maxConnectionMs: s.maxConnectionMs,
    highWaterBytes: s.highWaterBytes,
    stallTimeoutMs: s.stallTimeoutMs,
    oversizeFrameBytes: s.oversizeBytes,
    maxStreamsPerConnection: s.maxStreams,
  }
  for (const [name, v] of Object.entries(positive)) {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) problems.push(`${name}=${String(v)} must be a positive number`)
  }
  if (!(s.shutdownGraceMs >= 0 && Number.isFinite(s.shutdownGraceMs))) problems.push(`serverShutdownGraceMs=${s.shutdownGraceMs} must be 0 or more`)
  return [...problems, ...faultProblems(s.faults, s.malformedKinds)]
}
