/**
 * What the replay exchange counts: the counters its parts increment as they work, and the
 * snapshot stats() and `/k2/stats` report. Pure.
 */
import { malformedKinds as allMalformedKinds, type MalformedKind } from './binance-frames'

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

/** The counters, incremented in place by the exchange's parts (fault counters by fault name). */
export interface ReplayCounters {
  connectionsTotal: number
  connectionsRefused: number
  events: number
  framesSent: number
  bytesSent: number
  pingsSent: number
  pongsReceived: number
  unsolicitedPongs: number
  pongTimeouts: number
  lifetimeCloses: number
  slowConsumerDrops: number
  backpressureWaits: number
  restRequests: number
  restErrors: number
  drop: number
  serverShutdown: number
  duplicate: number
  reorder: number
  omit: number
  malformed: number
  malformedByKind: Record<MalformedKind, number>
}

/** All counters at zero. */
export function createReplayCounters(): ReplayCounters {
  return {
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
    malformedByKind: Object.fromEntries(allMalformedKinds.map((k) => [k, 0])) as Record<MalformedKind, number>,
  }
}

/** What stats() reports beside the counters: the state of the connections and of the tape right now. */
export interface ReplayGauges {
  readonly connectionsOpen: number
  readonly marketTimeMicros: number | undefined
  readonly tapeEnded: boolean
  readonly scheduleLagMs: number
}

/** A snapshot of the counters and gauges (a copy: later counting does not change it). */
export function replayStats(counters: ReplayCounters, gauges: ReplayGauges): ReplayExchangeStats {
  return {
    connectionsOpen: gauges.connectionsOpen,
    connectionsTotal: counters.connectionsTotal,
    connectionsRefused: counters.connectionsRefused,
    events: counters.events,
    framesSent: counters.framesSent,
    bytesSent: counters.bytesSent,
    marketTimeMs: gauges.marketTimeMicros === undefined ? undefined : Math.floor(gauges.marketTimeMicros / 1000),
    tapeEnded: gauges.tapeEnded,
    pingsSent: counters.pingsSent,
    pongsReceived: counters.pongsReceived,
    unsolicitedPongs: counters.unsolicitedPongs,
    pongTimeouts: counters.pongTimeouts,
    lifetimeCloses: counters.lifetimeCloses,
    slowConsumerDrops: counters.slowConsumerDrops,
    backpressureWaits: counters.backpressureWaits,
    scheduleLagMs: gauges.scheduleLagMs,
    restRequests: counters.restRequests,
    restErrors: counters.restErrors,
    faults: {
      drop: counters.drop,
      serverShutdown: counters.serverShutdown,
      duplicate: counters.duplicate,
      reorder: counters.reorder,
      omit: counters.omit,
      malformed: counters.malformed,
      malformedByKind: { ...counters.malformedByKind },
    },
  }
}
