import type { Kafka } from 'kafkajs'
import { createDegradationManager, processSignals, type DegradationTransition } from '../degrade/degradation-manager'
import type { DegradationPolicy, DegradationSignals } from '../degrade/degradation-policy'
import { createFeedDelaySignal } from '../degrade/feed-delay'
import { computeTiers, createVolumeWindow, defaultTierPolicy, type SymbolTier, type TierPolicy } from '../degrade/load-shedder'
import { createSinkProgressReader } from '../degrade/sink-progress-kafka'
import type { BinanceRest } from '../feed/history-binance-rest'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { ingestSignals, shedTierOf } from './degradation-inputs'

/** The ingest's degradation settings (IngestorOptions.degradation). */
export interface IngestDegradationSettings {
  readonly policy: DegradationPolicy
  /** The sink's consumer group: its committed offsets and progress against the topic's end give the lake lag and backlog. */
  readonly sinkGroupId?: string
  readonly tiers?: TierPolicy
  /** How often tiers are recomputed from trailing volume (default 10 s). */
  readonly tierRecomputeMs?: number
  readonly intervalMs?: number
  readonly onLevel?: (t: DegradationTransition) => void
}

export interface IngestDegradationDeps {
  readonly kafka: Kafka
  readonly rest: Pick<BinanceRest, 'serverTime'>
  readonly logger: Logger
  readonly metrics: Metrics
  /** The hot topics whose sink lag and backlog count. */
  readonly hotTopics: readonly string[]
  /** Told on every level change whether the level pauses the feed (CIRCUIT_BREAK). */
  readonly onCircuit: (open: boolean) => void
}

/** What the ingest asks of its degradation level, and tells it, on the way to Kafka. */
export interface IngestDegradation {
  /** Multiplies batch sizes and linger (1 at NORMAL, and without degradation). */
  batchScale(): number
  /** The tier of a symbol whose records go to `deferredTopic` now, else undefined. */
  shedTier(symbol: string, deferredTopic: string | undefined): SymbolTier | undefined
  /** A trade produced: the trailing volume its symbol's tier comes from. */
  tradeProduced(symbol: string): void
  /** A trade read from the feed, by market time: the newest one the feed delay is measured against. */
  tradeRead(marketMicros: bigint): void
  /** The worst produce latency of one acknowledged batch (s); the next sample reports the worst since the last. */
  produceLatency(seconds: number): void
  /** Level changes so far, oldest first (a copy). */
  transitions(): DegradationTransition[]
  /** At stop: no more level changes (held trades and repairs must reach Kafka whatever the level). */
  stopLevels(): void
  /** Stops every timer and disconnects from the sink's group. Safe to call twice. */
  close(): Promise<void>
}

/** Without degradation settings the ingest runs at NORMAL and measures nothing for it. */
const steady: IngestDegradation = {
  batchScale: () => 1,
  shedTier: () => undefined,
  tradeProduced: () => {},
  tradeRead: () => {},
  produceLatency: () => {},
  transitions: () => [],
  stopLevels: () => {},
  close: async () => {},
}

/**
 * The degradation manager of the ingest, wired to it: the level from the ingest's own signals
 * and the sink's lake lag and backlog (the progress the sink commits with its group's offsets,
 * sink-progress.ts, so one policy means the same on both sides); GRACEFUL and above defer symbols
 * by tier (tiers from trailing volume, recomputed every `tierRecomputeMs` and on every level
 * change, so the first shed decisions of a level use current volumes); CIRCUIT_BREAK also pauses
 * the feed through `onCircuit`.
 */
export async function createIngestDegradation(settings: IngestDegradationSettings | undefined, deps: IngestDegradationDeps): Promise<IngestDegradation> {
  if (!settings) return steady
  const volume = createVolumeWindow()
  const tierPolicy = settings.tiers ?? defaultTierPolicy
  let tiers = new Map<string, SymbolTier>()
  const tierTimer = setInterval(() => (tiers = computeTiers(volume.volumes(Date.now()), tierPolicy)), settings.tierRecomputeMs ?? 10_000)
  tierTimer.unref()
  const proc = processSignals(undefined, { loopUtilization: true })
  // How far behind the feed this reader is, against the exchange's clock (feed-delay.ts, D50).
  const feedDelay = deps.rest.serverTime ? createFeedDelaySignal(() => deps.rest.serverTime!()) : undefined
  const sink = await connectSinkProgress(deps.kafka, settings.sinkGroupId, deps.hotTopics)
  let worstLatency = 0
  const manager = createDegradationManager({
    worker: 'ingest',
    policy: settings.policy,
    intervalMs: settings.intervalMs,
    logger: deps.logger,
    metrics: deps.metrics,
    sample: async () => {
      const worst = worstLatency
      worstLatency = 0
      const own = ingestSignals(worst, proc.sample(), feedDelay && ((utilization) => feedDelay.sample(Date.now(), utilization)))
      return { ...own, ...(await sink.read()) }
    },
  })
  manager.onChange((t) => {
    tiers = computeTiers(volume.volumes(Date.now()), tierPolicy)
    deps.onCircuit(manager.actions().pause)
    settings.onLevel?.(t)
  })
  return {
    batchScale: () => manager.actions().batchScale,
    shedTier: (symbol, deferredTopic) => shedTierOf(manager.level, tiers, symbol, deferredTopic),
    tradeProduced: (symbol) => volume.record(symbol, 1, Date.now()),
    tradeRead: (marketMicros) => feedDelay?.tradeAt(marketMicros),
    produceLatency: (seconds) => {
      if (seconds > worstLatency) worstLatency = seconds
    },
    transitions: () => [...manager.transitions],
    stopLevels: () => manager.close(),
    async close() {
      manager.close()
      clearInterval(tierTimer)
      proc.close()
      feedDelay?.close()
      await sink.close()
    },
  }
}

/**
 * The sink's lag and backlog over the hot topics, read from its consumer group with an admin
 * client of its own; nothing (no signals) without a sink group.
 */
async function connectSinkProgress(kafka: Kafka, sinkGroupId: string | undefined, topics: readonly string[]): Promise<{ read(): Promise<DegradationSignals>; close(): Promise<void> }> {
  if (!sinkGroupId) return { read: async () => ({}), close: async () => {} }
  const admin = kafka.admin()
  await admin.connect()
  const read = createSinkProgressReader(admin, sinkGroupId, topics)
  return { read, close: () => admin.disconnect().catch(() => undefined) }
}
