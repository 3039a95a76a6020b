import type { Kafka } from 'kafkajs'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, isTransientError, restartPolicy, sleep } from '../errors/index'
import { createBinanceRest, historyRowToTradeEvent, type BinanceRest } from '../feed/history-binance-rest'
import type { ConnectionPlanLimits } from '../feed/connection-plan'
import { nowMicros, type BinanceWsSource, type BinanceWsSourceEvents, type BinanceWsSourceOptions } from '../feed/source-binance-ws'
import { createGroupedWsSource } from '../feed/source-connections'
import { wholeFeed, type IngestShard } from '../config/config'
import { shardName, shardTransactionalId, symbolsOfShard } from './shard'
import type { Logger } from '../logger/index'
import { rejectReasons, type Quote, type RejectReason, type Trade } from '../market/types'
import { metricDefinitions, type MetricKey, type Metrics } from '../metrics/index'
import { normaliseBinanceEvent, normaliseBinanceFrame, parseBinanceFrame, type NormaliseContext, type SymbolInfo } from './normalise-binance'
import { cachedDefaultPartitioner, createBatchingProducer, createKafkaSender, type BatchSender, type OutgoingRecord } from './producer-kafka'
import { createSequenceTracker, type TradeGap } from './sequence-tracker'
import { ensureTopics, marketTopicSpecs } from './topics-kafka'
import { checkpointRecords, checkpointTopicConfig, readCheckpoint } from './checkpoint-kafka'
import { createDegradationManager, processSignals, type DegradationManager, type DegradationTransition } from '../degrade/degradation-manager'
import type { DegradationPolicy, DegradationSignals } from '../degrade/degradation-policy'
import { createFeedDelaySignal, type FeedDelaySignal } from '../degrade/feed-delay'
import { createSinkProgressReader } from '../degrade/sink-progress-kafka'
import { computeTiers, createVolumeWindow, defaultTierPolicy, isShed, tierOf, type SymbolTier, type TierPolicy } from '../degrade/load-shedder'

/** Turns records into Kafka values (Confluent wire format, schema ids from the registry). */
export interface RecordEncoder {
  encodeTrade(trade: Trade): Buffer
  encodeQuote(quote: Quote): Buffer
}

export interface IngestorOptions {
  readonly exchange: string
  readonly wsUrl: string
  readonly restUrl: string
  /** Symbols to ingest; empty means every symbol the exchange lists as TRADING. */
  readonly symbols: readonly string[]
  readonly timeUnit: 'ms' | 'us'
  /** Which streams per symbol: trades, quotes (bookTicker), or both (the default). */
  readonly streams?: ReadonlyArray<'trade' | 'bookTicker'>
  /** This process's share of the symbols (shard.ts): `i/n` takes those a stable hash gives shard i. Default: all. */
  readonly shard?: IngestShard
  /** Per-connection limits of the feed (connection-plan.ts; default Binance's 1,024 streams, 8,000 URL characters). */
  readonly connectionLimits?: ConnectionPlanLimits
  readonly maxConnectionMs: number
  readonly maxFrameBytes: number
  readonly topics: {
    readonly trades: string
    readonly quotes: string
    readonly deadLetter: string
    readonly partitions: number
    /**
     * Compacted topic of the last trade id per symbol, written in the same transaction as the
     * trades (the sender must be transactional). When set, a restart resumes from it.
     */
    readonly checkpoint?: string
    /** The load shedder's topics: records of shed symbols go here (same transaction), backfilled by the sink at NORMAL. */
    readonly deferredTrades?: string
    readonly deferredQuotes?: string
  }
  /**
   * Degradation (with the deferred topics): the ingestor's level from its own signals (produce
   * latency, heap, event loop) and the sink's lake lag and backlog (the progress it commits with
   * its group's offsets, sink-progress.ts). GRACEFUL and above defer symbols by tier; CIRCUIT_BREAK
   * also pauses the feed (back-pressure). Absent: NORMAL.
   */
  readonly degradation?: {
    readonly policy: DegradationPolicy
    /** The sink's consumer group: its committed offsets and progress against the topic's end give the lake lag and backlog. */
    readonly sinkGroupId?: string
    readonly tiers?: TierPolicy
    /** How often tiers are recomputed from trailing volume (default 10 s). */
    readonly tierRecomputeMs?: number
    readonly intervalMs?: number
    readonly onLevel?: (t: DegradationTransition) => void
  }
  readonly reorderWindowMs: number
  readonly maxPendingPerSymbol: number
  readonly batchMaxRecords: number
  readonly lingerMs: number
  readonly compression: 'none' | 'gzip' | 'zstd'
  /**
   * Value bytes waiting for Kafka above which the feed sockets are paused, so a broker that stays
   * slow slows the feed (TCP back-pressure) instead of growing memory; reading resumes below half
   * of it. A memory bound, not a latency one: a broker stalling for seconds under a busy machine
   * is absorbed (default 64 MiB, about 10 minutes of input at rate 1).
   */
  readonly maxPendingBytes?: number
  /** Measure time spent per stage (normalise, encode) for the benchmark; off by default. */
  readonly profile?: boolean
}

export interface IngestorDeps {
  readonly kafka: Kafka
  readonly encoder: RecordEncoder
  readonly logger: Logger
  readonly metrics: Metrics
  readonly rest?: BinanceRest
  /** How batches reach Kafka; by default a kafkajs producer from `kafka` in this thread. */
  readonly sender?: BatchSender
  readonly createSource?: (options: BinanceWsSourceOptions, events: BinanceWsSourceEvents, deps: { logger: Logger }) => BinanceWsSource
}

/** What a finished run did, for the caller's summary (metrics carry the same live). */
export interface IngestReport {
  readonly symbols: number
  readonly frames: number
  readonly trades: number
  readonly quotes: number
  readonly deadLetters: number
  readonly duplicates: number
  readonly outOfOrder: number
  readonly gaps: number
  readonly gapTradesRepaired: number
  readonly gapTradesUnrepairable: bigint
  /** Records sent to the deferred topics instead of the hot ones. */
  readonly shed: { readonly trades: number; readonly quotes: number }
  /** Level changes of the ingestor's degradation manager. */
  readonly degradation: readonly DegradationTransition[]
  /** With `profile`: nanoseconds spent in each stage, summed over the run. */
  readonly stageNanos?: { readonly parse: bigint; readonly normalise: bigint; readonly encode: bigint; readonly produce: bigint }
}

type Meta = { readonly stream: 'trades' | 'quotes' | 'dead_letter'; readonly receivedMicros: bigint; readonly symbol?: string; readonly tradeId?: bigint; readonly shedTier?: SymbolTier }

/**
 * The ingestion loop: exchange frames → normalised records → per-symbol sequencing (duplicates
 * dropped, gaps repaired from REST history before the symbol moves on) → Avro → Kafka, keyed by
 * symbol, idempotent with acks=all. Frames that cannot become records go to the dead-letter
 * topic with their reason and raw bytes; nothing is dropped silently and no frame stops the loop.
 * Runs until `signal` fires, then flushes everything acknowledged-pending and returns.
 */
export async function runIngestor(options: IngestorOptions, deps: IngestorDeps, signal: AbortSignal): Promise<IngestReport> {
  const log = deps.logger
  const m = deps.metrics
  // Every ingest series exists from the start, at 0, so rates and alerts see it before the
  // first event of its kind (a dead-letter alert must not wait for the first dead letter).
  for (const key of Object.keys(metricDefinitions) as MetricKey[]) if (key.startsWith('ingest')) m.get(key)
  for (const reason of rejectReasons) m.get('ingestDeadLetters').labels(reason).inc(0)
  for (const cause of ['reconnect', 'roll']) m.get('ingestReconnects').labels(cause).inc(0)
  for (const stream of ['trades', 'quotes']) m.get('ingestDuplicates').labels(stream).inc(0)
  const rest = deps.rest ?? createBinanceRest({ restUrl: options.restUrl, signal, timeUnit: options.timeUnit })

  const listed = (await rest.exchangeInfo()).filter((s) => s.status === 'TRADING')
  const byName = new Map<string, SymbolInfo>(listed.map((s) => [s.symbol, s]))
  const listedOrAsked = options.symbols.length > 0 ? options.symbols : [...byName.keys()]
  const unknown = listedOrAsked.filter((s) => !byName.has(s))
  if (unknown.length > 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `symbols not listed by the exchange at ${options.restUrl}: ${unknown.slice(0, 10).join(', ')}`)
  const shard = options.shard ?? wholeFeed
  const wanted = symbolsOfShard(listedOrAsked, shard)
  if (wanted.length === 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `shard ${shardName(shard)} has none of the ${listedOrAsked.length} symbols: run fewer shards`)
  const symbols = new Map<string, SymbolInfo>(wanted.map((s) => [s, byName.get(s)!]))
  const kinds = options.streams ?? ['trade', 'bookTicker']
  const streams = [...symbols.keys()].flatMap((s) => kinds.map((k) => `${s.toLowerCase()}@${k}`))

  const admin = deps.kafka.admin()
  await admin.connect()
  try {
    const hot = marketTopicSpecs(options.topics)
    const deferredSpecs = [options.topics.deferredTrades, options.topics.deferredQuotes].filter((t): t is string => t !== undefined).map((topic) => ({ ...hot[0]!, topic }))
    const created = await ensureTopics(admin, [
      ...hot,
      ...deferredSpecs,
      ...(options.topics.checkpoint ? [{ topic: options.topics.checkpoint, partitions: 1, config: checkpointTopicConfig }] : []),
    ])
    if (created.length) log.info('created topics', { topics: created })
  } finally {
    await admin.disconnect()
  }

  let sender = deps.sender
  if (!sender) {
    // With a checkpoint, every batch is a transaction; the id is stable so a restart fences the old process.
    const transactionalId = options.topics.checkpoint ? shardTransactionalId(`k2-ingest-${options.topics.trades}`, shard) : undefined
    const kafkaProducer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: cachedDefaultPartitioner, transactionalId })
    await kafkaProducer.connect()
    sender = createKafkaSender(kafkaProducer, { transactional: transactionalId !== undefined })
  }
  if (options.topics.checkpoint && !sender.transactional) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, 'the ingest checkpoint needs a transactional sender: trades and their checkpoint must commit together')
  }

  // A batch that fails after the client's retries ends the run (the worker exits non-zero and
  // resumes from its checkpoint when restarted) instead of ingesting into a stuck producer.
  let failed: (err: unknown) => void = () => {}
  const failure = new Promise<never>((_, reject) => (failed = reject))
  failure.catch(() => {})
  const checkpointTopic = options.topics.checkpoint
  const report = { frames: 0, trades: 0, quotes: 0, deadLetters: 0, duplicates: 0, gapTradesRepaired: 0, gapTradesUnrepairable: 0n, shed: { trades: 0, quotes: 0 } }
  // Degradation: created below once the producer exists; read on every batch and record.
  let manager: DegradationManager | undefined
  let worstLatency = 0
  const shedCounter = m.get('degradeShed')
  const profile = options.profile === true
  const stageNanos = { parse: 0n, normalise: 0n, encode: 0n, produce: 0n }
  const clock = process.hrtime.bigint
  // Labelled children looked up once: prom-client hashes label values on every labels() call.
  const latency = m.get('ingestProduceLatency')
  const latencyBy = { trades: latency.labels('trades'), quotes: latency.labels('quotes'), dead_letter: latency.labels('dead_letter') }
  const records = m.get('ingestRecords')
  const producer = createBatchingProducer<Meta>(
    sender,
    {
      maxRecords: options.batchMaxRecords,
      maxBytes: 4 * 2 ** 20,
      lingerMs: options.lingerMs,
      onFailure: (err) => failed(err),
      compression: options.compression,
      scale: () => manager?.actions().batchScale ?? 1,
      batchTrailer: checkpointTopic
        ? (batch) => checkpointRecords(checkpointTopic, batch, (r) => (r.meta.tradeId === undefined ? undefined : { symbol: r.meta.symbol!, tradeId: r.meta.tradeId }))
        : undefined,
      onSent: (_records, nanos) => {
        stageNanos.produce += nanos
      },
      onAcknowledged: (batch) => {
        // Still counted as pending while this runs: what waits after it is the rest.
        let acked = 0
        if (paused) for (const r of batch) acked += r.value.length
        if (paused && producer.pendingBytes() - acked < highWater / 2) {
          paused = false
          log.info('Kafka caught up: reading the feed again', { pendingBytes: producer.pendingBytes() - acked })
          applyPause()
        }
        const now = nowMicros()
        const counts = { trades: 0, quotes: 0, dead_letter: 0 }
        for (const r of batch) {
          counts[r.meta.stream]++
          const seconds = Number(now - r.meta.receivedMicros) / 1e6
          latencyBy[r.meta.stream].observe(seconds)
          if (seconds > worstLatency) worstLatency = seconds
          if (r.meta.shedTier !== undefined) {
            shedCounter.labels(r.meta.stream, String(r.meta.shedTier)).inc()
            if (r.meta.stream === 'trades') report.shed.trades++
            else report.shed.quotes++
          }
        }
        for (const [stream, n] of Object.entries(counts)) if (n) records.labels(stream).inc(n)
        report.trades += counts.trades
        report.quotes += counts.quotes
        report.deadLetters += counts.dead_letter
      },
    },
    { logger: log },
  )

  const highWater = options.maxPendingBytes ?? 64 * 2 ** 20
  let paused = false
  let circuitOpen = false
  /** The feed reads unless Kafka is behind (back-pressure) or the level is CIRCUIT_BREAK. */
  let reading = true
  const feedPauses = m.get('ingestFeedPauses')
  for (const cause of ['backpressure', 'circuit_break']) feedPauses.labels(cause).inc(0)
  const applyPause = (): void => {
    if (paused || circuitOpen) {
      if (reading) feedPauses.labels(circuitOpen ? 'circuit_break' : 'backpressure').inc()
      reading = false
      source?.pause()
    } else {
      reading = true
      source?.resume()
    }
  }
  // Created below, once the frame handler it calls exists; back-pressure reads it before that.
  // eslint-disable-next-line prefer-const
  let source: BinanceWsSource | undefined
  const checkBackPressure = (): void => {
    if (!paused && producer.pendingBytes() > highWater) {
      paused = true
      log.warn('Kafka is behind: pausing the feed until half of what waits is acknowledged', { pendingRecords: producer.pending(), pendingBytes: producer.pendingBytes() })
      applyPause()
    }
  }

  // The load shedder: tiers from trailing volume, recomputed periodically; the level from the
  // ingestor's signals and the sink's lag.
  let tiers = new Map<string, SymbolTier>()
  const volume = options.degradation ? createVolumeWindow() : undefined
  let tierTimer: NodeJS.Timeout | undefined
  let lagAdmin: ReturnType<Kafka['admin']> | undefined
  let proc: ReturnType<typeof processSignals> | undefined
  let feedDelay: FeedDelaySignal | undefined
  if (options.degradation) {
    const d = options.degradation
    const tierPolicy = d.tiers ?? defaultTierPolicy
    tierTimer = setInterval(() => (tiers = computeTiers(volume!.volumes(Date.now()), tierPolicy)), d.tierRecomputeMs ?? 10_000)
    tierTimer.unref()
    proc = processSignals(undefined, { loopUtilization: true })
    // How far behind the feed this reader is, against the exchange's clock (feed-delay.ts, D50).
    feedDelay = rest.serverTime ? createFeedDelaySignal(() => rest.serverTime!()) : undefined
    const sinkGroup = d.sinkGroupId
    if (sinkGroup) {
      lagAdmin = deps.kafka.admin()
      await lagAdmin.connect()
    }
    // The sink's lag and backlog over both hot topics, from the progress it commits with its group
    // offsets every second (sink-progress.ts): one policy then means the same on both sides.
    const readSink = lagAdmin && sinkGroup ? createSinkProgressReader(lagAdmin, sinkGroup, [options.topics.trades, options.topics.quotes]) : undefined
    const sinkSignals = async (): Promise<DegradationSignals> => (readSink ? readSink() : {})
    manager = createDegradationManager({
      worker: 'ingest',
      policy: d.policy,
      intervalMs: d.intervalMs,
      logger: log,
      metrics: m,
      sample: async () => {
        const produceLatencyMs = worstLatency * 1000
        worstLatency = 0
        const own = proc!.sample()
        const feedDelaySeconds = own.feedLoopUtilization === undefined ? undefined : feedDelay?.sample(Date.now(), own.feedLoopUtilization)
        return { ...own, ...(feedDelaySeconds === undefined ? {} : { feedDelaySeconds }), produceLatencyMs, ...(await sinkSignals()) }
      },
    })
    manager.onChange((t) => {
      // Tiers as of now, so the first shed decisions use current volumes.
      tiers = computeTiers(volume!.volumes(Date.now()), tierPolicy)
      circuitOpen = manager!.actions().pause
      applyPause()
      d.onLevel?.(t)
    })
  }

  let platformSequence = nowMicros()
  const tracker = createSequenceTracker<Omit<Trade, 'platformSequence'>>({ reorderWindowMs: options.reorderWindowMs, maxPendingPerSymbol: options.maxPendingPerSymbol })
  const lastQuote = new Map<string, bigint>()
  if (checkpointTopic) {
    const resumed = await readWholeCheckpoint(deps.kafka, checkpointTopic, log, signal)
    let seeded = 0
    for (const [symbol, lastId] of resumed) {
      if (!symbols.has(symbol)) continue
      tracker.seed(symbol, lastId)
      seeded++
    }
    if (seeded > 0) log.info('resuming after the last checkpoint: trades since are repaired from REST history', { symbols: seeded })
  }
  const frames = m.get('ingestFrames')
  const framesBy = { trade: frames.labels('trade'), quote: frames.labels('quote'), control: frames.labels('control'), reject: frames.labels('reject') }
  const deadLetters = m.get('ingestDeadLetters')
  const duplicates = m.get('ingestDuplicates')
  const loggedReasons = new Set<RejectReason>()

  // One context object, its receive time updated per frame (no allocation on the hot path).
  const liveCtx: { -readonly [K in keyof NormaliseContext]: NormaliseContext[K] } = { exchange: options.exchange, symbols, maxFrameBytes: options.maxFrameBytes, timeUnit: options.timeUnit, receivedMicros: 0n }

  /** The tier of a symbol whose records are deferred at the current level, else undefined. */
  const shedTier = (symbol: string, deferredTopic: string | undefined): SymbolTier | undefined => {
    if (!manager || deferredTopic === undefined) return undefined
    return isShed(manager.level, tiers, symbol) ? tierOf(tiers, symbol) : undefined
  }

  const produceTrade = (t: Omit<Trade, 'platformSequence'>): void => {
    const trade: Trade = { ...t, platformSequence: ++platformSequence }
    const start = profile ? clock() : 0n
    const value = deps.encoder.encodeTrade(trade)
    if (profile) stageNanos.encode += clock() - start
    volume?.record(trade.symbol, 1, Date.now())
    const tier = shedTier(trade.symbol, options.topics.deferredTrades)
    producer.enqueue({
      topic: tier === undefined ? options.topics.trades : options.topics.deferredTrades!,
      key: trade.symbol,
      value,
      ...(tier === undefined ? {} : { headers: { 'k2-tier': String(tier) } }),
      meta: { stream: 'trades', receivedMicros: trade.ingestionTimestampMicros, symbol: trade.symbol, tradeId: trade.tradeId, ...(tier === undefined ? {} : { shedTier: tier }) },
    })
    checkBackPressure()
  }

  const deadLetter = (raw: string, reason: RejectReason, detail: string, receivedMicros: bigint, source: 'ws' | 'rest', symbol?: string): void => {
    deadLetters.labels(reason).inc()
    if (!loggedReasons.has(reason)) {
      loggedReasons.add(reason)
      log.warn('frame sent to the dead-letter topic (logged once per reason; counted in k2_ingest_dead_letters_total)', { reason, detail })
    }
    const record: OutgoingRecord<Meta> = {
      topic: options.topics.deadLetter,
      key: symbol ?? null,
      value: Buffer.from(raw, 'utf8'),
      headers: { reason, detail: detail.slice(0, 500), source, exchange: options.exchange, received_at_us: receivedMicros.toString() },
      meta: { stream: 'dead_letter', receivedMicros },
    }
    producer.enqueue(record)
  }

  const onFrame = (frame: string, receivedMicros: bigint): void => {
    report.frames++
    let n
    try {
      if (profile) {
        const t0 = clock()
        const parsed = parseBinanceFrame(frame, options.maxFrameBytes)
        const t1 = clock()
        liveCtx.receivedMicros = receivedMicros
        n = 'kind' in parsed ? parsed : normaliseBinanceEvent(parsed.value, liveCtx)
        stageNanos.parse += t1 - t0
        stageNanos.normalise += clock() - t1
      } else {
        liveCtx.receivedMicros = receivedMicros
        n = normaliseBinanceFrame(frame, liveCtx)
      }
    } catch (err) {
      // The normaliser is total; this guards the loop against a bug, never silently.
      framesBy.reject.inc()
      return deadLetter(frame, 'wrong_type', `normaliser failed: ${errorMessage(err)}`, receivedMicros, 'ws')
    }
    framesBy[n.kind].inc()
    switch (n.kind) {
      case 'reject':
        return deadLetter(frame, n.reason, n.detail, receivedMicros, 'ws', n.symbol)
      case 'control':
        return
      case 'quote': {
        const last = lastQuote.get(n.quote.symbol)
        if (last !== undefined && n.quote.updateId <= last) {
          report.duplicates++
          duplicates.labels('quotes').inc()
          return
        }
        lastQuote.set(n.quote.symbol, n.quote.updateId)
        const quote: Quote = { ...n.quote, platformSequence: ++platformSequence }
        const tier = shedTier(quote.symbol, options.topics.deferredQuotes)
        producer.enqueue({
          topic: tier === undefined ? options.topics.quotes : options.topics.deferredQuotes!,
          key: quote.symbol,
          value: deps.encoder.encodeQuote(quote),
          ...(tier === undefined ? {} : { headers: { 'k2-tier': String(tier) } }),
          meta: { stream: 'quotes', receivedMicros, ...(tier === undefined ? {} : { shedTier: tier }) },
        })
        checkBackPressure()
        return
      }
      case 'trade': {
        feedDelay?.tradeAt(n.trade.timestampMicros)
        const before = tracker.counters.duplicates
        for (const t of tracker.offer(n.trade.symbol, n.trade.tradeId, n.trade, Date.now())) produceTrade(t)
        if (tracker.counters.duplicates > before) {
          report.duplicates++
          duplicates.labels('trades').inc()
        }
        return
      }
    }
  }

  // Gap repair: due gaps are fetched from REST history, normalised like live frames, and fed
  // back to the tracker, which then releases the symbol's held trades in order.
  const repairs = new Set<Promise<void>>()
  const repair = async (gap: TradeGap): Promise<void> => {
    m.get('ingestGaps').inc()
    const started = Date.now()
    let fetched: Array<{ id: bigint; record: Omit<Trade, 'platformSequence'> }> = []
    try {
      const rows = await rest.tradesById(gap.symbol, gap.from, gap.to)
      const receivedMicros = nowMicros()
      for (const row of rows) {
        const text = historyRowToTradeEvent(gap.symbol, row, options.timeUnit)
        const n = normaliseBinanceFrame(text, { ...liveCtx, receivedMicros, timeUnit: options.timeUnit })
        if (n.kind === 'trade') fetched.push({ id: n.trade.tradeId, record: { ...n.trade, vendorData: { ...n.trade.vendorData, repaired_from: 'rest' } } })
        else if (n.kind === 'reject') deadLetter(text, n.reason, n.detail, receivedMicros, 'rest', gap.symbol)
      }
    } catch (err) {
      if (signal.aborted) return
      log.error('gap repair failed; the ids are counted as unrepairable', { symbol: gap.symbol, from: gap.from, to: gap.to, error: errorMessage(err) })
      fetched = []
    }
    const { released, missing } = tracker.fill(gap, fetched)
    for (const t of released) produceTrade(t)
    report.gapTradesRepaired += fetched.length
    m.get('ingestGapTradesRepaired').inc(fetched.length)
    if (missing > 0n) {
      report.gapTradesUnrepairable += missing
      m.get('ingestGapTradesUnrepairable').inc(Number(missing))
      log.warn('trade ids missing from the exchange history', { symbol: gap.symbol, from: gap.from, to: gap.to, missing })
    }
    log.debug('gap repaired', { symbol: gap.symbol, from: gap.from, to: gap.to, fetched: fetched.length, ms: Date.now() - started })
  }
  let outOfOrderSeen = 0
  const gapTimer = setInterval(() => {
    m.get('ingestOutOfOrder').inc(tracker.counters.outOfOrder - outOfOrderSeen)
    outOfOrderSeen = tracker.counters.outOfOrder
    for (const gap of tracker.dueGaps(Date.now())) {
      const p = repair(gap).finally(() => repairs.delete(p))
      repairs.add(p)
    }
    m.get('ingestHeldTrades').set(tracker.held())
  }, Math.max(10, Math.min(50, Math.floor(options.reorderWindowMs / 2))))

  // Connected: every connection group has an open connection (a roll opens the new one first).
  const connected = m.get('ingestConnected')
  const down = new Set<number>()
  const grouped = createGroupedWsSource(
    { wsUrl: options.wsUrl, streams, timeUnit: options.timeUnit, maxConnectionMs: options.maxConnectionMs, ...(options.connectionLimits ? { limits: options.connectionLimits } : {}) },
    {
      onFrame,
      onConnected: (group, reason) => {
        down.delete(group)
        connected.set(down.size === 0 ? 1 : 0)
        if (reason !== 'start') m.get('ingestReconnects').labels(reason).inc()
      },
      onDisconnected: (group, cause) => {
        if (cause === 'rolled') return
        down.add(group)
        connected.set(0)
      },
    },
    { logger: log.child('feed') },
    deps.createSource,
  )
  source = grouped
  for (let g = 0; g < grouped.groups; g++) down.add(g)

  log.info('ingesting', { symbols: symbols.size, streams: streams.length, connections: grouped.groups, shard: shardName(shard), feed: options.wsUrl, topics: options.topics })
  await source.start()
  const stopped = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))
  try {
    await Promise.race([stopped, failure])
  } catch (err) {
    log.error('stopping: a produce batch failed after retries', { error: errorMessage(err) })
    manager?.close()
    if (tierTimer) clearInterval(tierTimer)
    proc?.close()
    feedDelay?.close()
    await lagAdmin?.disconnect().catch(() => undefined)
    await source.close()
    clearInterval(gapTimer)
    await sender.close().catch(() => {})
    connected.set(0)
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, `ingest stopped: Kafka refused a batch after retries (${errorMessage(err)}); restart resumes from the checkpoint`, true, { cause: err })
  }

  log.info('stopping: closing the feed, finishing repairs, flushing Kafka')
  const transitions = [...(manager?.transitions ?? [])]
  // The level no longer pauses anything: held trades and repairs must reach Kafka now.
  manager?.close()
  circuitOpen = false
  await source.close()
  clearInterval(gapTimer)
  await Promise.all([...repairs])
  // Trades still held wait for ids that never came: repair them now rather than drop them.
  for (const gap of tracker.dueGaps(Number.MAX_SAFE_INTEGER)) await repair(gap)
  await producer.flush()
  await sender.close()
  if (tierTimer) clearInterval(tierTimer)
  proc?.close()
  feedDelay?.close()
  await lagAdmin?.disconnect().catch(() => undefined)
  connected.set(0)
  return {
    symbols: symbols.size,
    ...report,
    degradation: transitions,
    outOfOrder: tracker.counters.outOfOrder,
    gaps: tracker.counters.gaps,
    stageNanos: profile ? stageNanos : undefined,
  }
}

/**
 * The checkpoint, read whole: a read that stops short (a slow broker) is retried, never used; so
 * is one the broker refuses for now (NOT_LEADER_FOR_PARTITION on a checkpoint topic created a
 * moment ago, whose leader is still being elected: seen in a full test run on a busy machine).
 */
async function readWholeCheckpoint(kafka: Kafka, topic: string, log: Logger, signal: AbortSignal): Promise<Map<string, bigint>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readCheckpoint(kafka, topic)
    } catch (err) {
      if (signal.aborted || !isTransientError(err)) throw err
      log.warn(`the checkpoint could not be read whole; retrying: ${errorMessage(err)}`, { attempt })
      await sleep(backoffDelay(restartPolicy, Math.min(attempt, 6)), signal)
    }
  }
}
