import type { Kafka } from 'kafkajs'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, isTransientError, restartPolicy, sleep } from '../errors/index'
import { createBinanceRest, type BinanceRest } from '../feed/history-binance-rest'
import type { ConnectionPlanLimits } from '../feed/connection-plan'
import type { BinanceWsSource, BinanceWsSourceEvents, BinanceWsSourceOptions } from '../feed/source-binance-ws'
import { wholeFeed, type IngestShard } from './shard'
import type { DegradationTransition } from '../degrade/degradation-manager'
import type { Logger } from '../logger/index'
import { rejectReasons } from '../market/types'
import { metricDefinitions, type MetricKey, type Metrics } from '../metrics/index'
import { readCheckpoint } from './checkpoint-kafka'
import { createConnectionSet } from './connection-set-ws'
import { createIngestDegradation, type IngestDegradationSettings } from './degradation-wiring'
import { createFeedGate, feedPauseCauses } from './feed-gate'
import { createFrameHandler } from './frame-handler'
import { createIngestOutput, type RecordEncoder } from './output-kafka'
import { cachedDefaultPartitioner, createKafkaSender, type BatchSender } from './producer-kafka'
import { createSequencing } from './sequencing'
import { shardName, shardTransactionalId } from './shard'
import { feedStreams, selectSymbols } from './symbol-selection'
import { ensureTopicsOnce } from '../kafka/topics-admin'
import { ingestTopicSpecs, type IngestTopics } from './topics-kafka'

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
  readonly topics: IngestTopics
  /**
   * Degradation (with the deferred topics): the ingestor's level from its own signals (produce
   * latency, heap, event loop) and the sink's lake lag and backlog (the progress it commits with
   * its group's offsets, sink-progress.ts). GRACEFUL and above defer symbols by tier; CIRCUIT_BREAK
   * also pauses the feed (back-pressure). Absent: NORMAL.
   */
  readonly degradation?: IngestDegradationSettings
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

/**
 * The ingestion loop: exchange frames → normalised records → per-symbol sequencing (duplicates
 * dropped, gaps repaired from REST history before the symbol moves on) → Avro → Kafka, keyed by
 * symbol, idempotent with acks=all. Frames that cannot become records go to the dead-letter
 * topic with their reason and raw bytes; nothing is dropped silently and no frame stops the loop.
 * Runs until `signal` fires, then flushes everything acknowledged-pending and returns.
 *
 * Composed of named parts, each holding its own state: the feed gate (feed-gate.ts), the
 * degradation wiring (degradation-wiring.ts), the way to Kafka (output-kafka.ts), sequencing and
 * gap repair (sequencing.ts), the frame handler (frame-handler.ts) and the connection set
 * (connection-set-ws.ts). The order they are made in and stopped in is the exactly-once path:
 * the feed closes first, then repairs finish, then the producer flushes its last transactions.
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

  const shard = options.shard ?? wholeFeed
  const symbols = selectSymbols(await rest.exchangeInfo(), options.symbols, shard, options.restUrl)
  const streams = feedStreams(symbols.keys(), options.streams ?? ['trade', 'bookTicker'])
  const created = await ensureTopicsOnce(deps.kafka, ingestTopicSpecs(options.topics))
  if (created.length) log.info('created topics', { topics: created })
  const sender = deps.sender ?? (await openIngestSender(deps.kafka, options.topics, shard))
  if (options.topics.checkpoint && !sender.transactional) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, 'the ingest checkpoint needs a transactional sender: trades and their checkpoint must commit together')
  }

  // A batch that fails after the client's retries ends the run (the worker exits non-zero and
  // resumes from its checkpoint when restarted) instead of ingesting into a stuck producer.
  let failed: (err: unknown) => void = () => {}
  const failure = new Promise<never>((_, reject) => (failed = reject))
  failure.catch(() => {})
  const stageNanos = options.profile === true ? { parse: 0n, normalise: 0n, encode: 0n, produce: 0n } : undefined

  const feedPauses = m.get('ingestFeedPauses')
  for (const cause of feedPauseCauses) feedPauses.labels(cause).inc(0)
  const gate = createFeedGate(options.maxPendingBytes ?? 64 * 2 ** 20, (cause) => feedPauses.labels(cause).inc())
  const degradation = await createIngestDegradation(options.degradation, {
    kafka: deps.kafka,
    rest,
    logger: log,
    metrics: m,
    hotTopics: [options.topics.trades, options.topics.quotes],
    onCircuit: (open) => gate.setCircuit(open),
  })
  const output = createIngestOutput(sender, options, { encoder: deps.encoder, gate, degradation, logger: log, metrics: m, stageNanos, onFailure: (err) => failed(err) })
  const context = { exchange: options.exchange, symbols, maxFrameBytes: options.maxFrameBytes, timeUnit: options.timeUnit }
  const sequencing = createSequencing(
    { reorderWindowMs: options.reorderWindowMs, maxPendingPerSymbol: options.maxPendingPerSymbol, context },
    { rest, logger: log, metrics: m, release: output.trade, deadLetter: output.deadLetter, signal },
  )
  if (options.topics.checkpoint) {
    const seeded = sequencing.seed(await readWholeCheckpoint(deps.kafka, options.topics.checkpoint, log, signal))
    if (seeded > 0) log.info('resuming after the last checkpoint: trades since are repaired from REST history', { symbols: seeded })
  }
  const frames = createFrameHandler(context, { sequencing, output, degradation, metrics: m, stageNanos })
  sequencing.start()

  const connections = createConnectionSet(
    { wsUrl: options.wsUrl, streams, timeUnit: options.timeUnit, maxConnectionMs: options.maxConnectionMs, limits: options.connectionLimits },
    frames.onFrame,
    { logger: log.child('feed'), metrics: m, createSource: deps.createSource },
  )
  gate.attach(connections)
  log.info('ingesting', { symbols: symbols.size, streams: streams.length, connections: connections.groups, shard: shardName(shard), feed: options.wsUrl, topics: options.topics })
  await connections.start()
  const stopped = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))
  try {
    await Promise.race([stopped, failure])
  } catch (err) {
    log.error('stopping: a produce batch failed after retries', { error: errorMessage(err) })
    await degradation.close()
    await connections.close()
    sequencing.stopChecking()
    await sender.close().catch(() => {})
    connections.markStopped()
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, `ingest stopped: Kafka refused a batch after retries (${errorMessage(err)}); restart resumes from the checkpoint`, true, { cause: err })
  }

  log.info('stopping: closing the feed, finishing repairs, flushing Kafka')
  const transitions = degradation.transitions()
  // The level no longer pauses anything: held trades and repairs must reach Kafka now.
  degradation.stopLevels()
  gate.releaseCircuit()
  await connections.close()
  sequencing.stopChecking()
  await sequencing.finish()
  await output.flush()
  await sender.close()
  await degradation.close()
  connections.markStopped()
  const sequenced = sequencing.report()
  const written = output.report()
  return {
    symbols: symbols.size,
    frames: frames.frames(),
    trades: written.trades,
    quotes: written.quotes,
    deadLetters: written.deadLetters,
    duplicates: sequenced.duplicates,
    gapTradesRepaired: sequenced.gapTradesRepaired,
    gapTradesUnrepairable: sequenced.gapTradesUnrepairable,
    shed: written.shed,
    degradation: transitions,
    outOfOrder: sequenced.outOfOrder,
    gaps: sequenced.gaps,
    stageNanos,
  }
}

/**
 * The default sender: an idempotent kafkajs producer, one request in flight. With a checkpoint,
 * every batch is a transaction, and the transactional id is stable per shard so a restarted
 * process fences the one it replaces.
 */
async function openIngestSender(kafka: Kafka, topics: IngestTopics, shard: IngestShard): Promise<BatchSender> {
  const transactionalId = topics.checkpoint ? shardTransactionalId(`k2-ingest-${topics.trades}`, shard) : undefined
  const kafkaProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: cachedDefaultPartitioner, transactionalId })
  await kafkaProducer.connect()
  return createKafkaSender(kafkaProducer, { transactional: transactionalId !== undefined })
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
