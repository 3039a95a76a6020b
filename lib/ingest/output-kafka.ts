import { nowMicros } from '../feed/source-binance-ws'
import type { Logger } from '../logger/index'
import type { Quote, RejectReason, Trade } from '../market/types'
import type { Metrics } from '../metrics/index'
import type { SymbolTier } from '../degrade/load-shedder'
import { checkpointRecords } from './checkpoint-kafka'
import type { IngestDegradation } from './degradation-wiring'
import type { FeedGate } from './feed-gate'
import type { IngestTopics } from './topics-kafka'
import { createBatchingProducer, type BatchSender, type BatchingProducer, type OutgoingRecord } from './producer-kafka'

/** Turns records into Kafka values (Confluent wire format, schema ids from the registry). */
export interface RecordEncoder {
  encodeTrade(trade: Trade): Buffer
  encodeQuote(quote: Quote): Buffer
}

/** Nanoseconds spent in each stage, summed over the run (the benchmark's profile). */
export interface StageNanos {
  parse: bigint
  normalise: bigint
  encode: bigint
  produce: bigint
}

/** What each record carries to its acknowledgement. */
export interface RecordMeta {
  readonly stream: 'trades' | 'quotes' | 'dead_letter'
  readonly receivedMicros: bigint
  readonly symbol?: string
  readonly tradeId?: bigint
  readonly shedTier?: SymbolTier
}

export interface IngestOutputOptions {
  readonly exchange: string
  readonly topics: IngestTopics
  readonly batchMaxRecords: number
  readonly lingerMs: number
  readonly compression: 'none' | 'gzip' | 'zstd'
}

export interface IngestOutputDeps {
  readonly encoder: RecordEncoder
  /** Paused above the high water of bytes waiting for Kafka, resumed below half of it. */
  readonly gate: FeedGate
  readonly degradation: IngestDegradation
  readonly logger: Logger
  readonly metrics: Metrics
  /** With the profile on: where encode and produce times are summed. */
  readonly stageNanos?: StageNanos
  /** A batch failed after the client's retries: the run cannot go on. */
  readonly onFailure: (err: unknown) => void
}

/** What reached Kafka (acknowledged), for the run's report. */
export interface OutputReport {
  readonly trades: number
  readonly quotes: number
  readonly deadLetters: number
  /** Records sent to the deferred topics instead of the hot ones. */
  readonly shed: { readonly trades: number; readonly quotes: number }
}

/** The ingest's way to Kafka: sequenced records and dead letters in, batches out. */
export interface IngestOutput {
  /** A trade released by sequencing: numbered, encoded, sent to its hot or deferred topic. */
  trade(trade: Omit<Trade, 'platformSequence'>): void
  /** A quote accepted by sequencing, with the receive time of its frame. */
  quote(quote: Omit<Quote, 'platformSequence'>, receivedMicros: bigint): void
  /** A frame or history row that cannot become a record: to the dead-letter topic with its reason and raw text. */
  deadLetter(raw: string, reason: RejectReason, detail: string, receivedMicros: bigint, source: 'ws' | 'rest', symbol?: string): void
  /** Resolves once everything enqueued so far is acknowledged. */
  flush(): Promise<void>
  report(): OutputReport
}

/**
 * Records to Kafka through the single-flight batching producer, keyed by symbol. With a
 * checkpoint topic every batch carries the highest trade id per symbol of its own trades, in the
 * same transaction (checkpoint-kafka.ts). Each record gets the next platform sequence (started
 * from the clock, so it grows across restarts); records of a symbol the level sheds go to the
 * deferred topic with their tier in a `k2-tier` header.
 */
export function createIngestOutput(sender: BatchSender, options: IngestOutputOptions, deps: IngestOutputDeps): IngestOutput {
  const { topics } = options
  const { encoder, gate, degradation, logger: log, stageNanos } = deps
  const report = { trades: 0, quotes: 0, deadLetters: 0, shed: { trades: 0, quotes: 0 } }
  const checkpointTopic = topics.checkpoint
  const producer: BatchingProducer<RecordMeta> = createBatchingProducer<RecordMeta>(
    sender,
    {
      maxRecords: options.batchMaxRecords,
      maxBytes: 4 * 2 ** 20,
      lingerMs: options.lingerMs,
      onFailure: (err) => deps.onFailure(err),
      compression: options.compression,
      scale: () => degradation.batchScale(),
      batchTrailer: checkpointTopic
        ? (batch) => checkpointRecords(checkpointTopic, batch, (r) => (r.meta.tradeId === undefined ? undefined : { symbol: r.meta.symbol!, tradeId: r.meta.tradeId }))
        : undefined,
      onSent: (_records, nanos) => {
        if (stageNanos) stageNanos.produce += nanos
      },
      // Called once batches flow, long after `producer` is assigned.
      onAcknowledged: acknowledgementHandler(deps, report, () => producer.pendingBytes()),
    },
    { logger: log },
  )
  const checkBackPressure = (): void => {
    if (gate.enqueued(producer.pendingBytes())) {
      log.warn('Kafka is behind: pausing the feed until half of what waits is acknowledged', { pendingRecords: producer.pending(), pendingBytes: producer.pendingBytes() })
    }
  }
  const clock = process.hrtime.bigint
  const loggedReasons = new Set<RejectReason>()
  const deadLetters = deps.metrics.get('ingestDeadLetters')
  let platformSequence = nowMicros()

  return {
    trade(t) {
      const trade: Trade = { ...t, platformSequence: ++platformSequence }
      const start = stageNanos ? clock() : 0n
      const value = encoder.encodeTrade(trade)
      if (stageNanos) stageNanos.encode += clock() - start
      degradation.tradeProduced(trade.symbol)
      const tier = degradation.shedTier(trade.symbol, topics.deferredTrades)
      producer.enqueue({
        topic: tier === undefined ? topics.trades : topics.deferredTrades!,
        key: trade.symbol,
        value,
        ...(tier === undefined ? {} : { headers: { 'k2-tier': String(tier) } }),
        meta: { stream: 'trades', receivedMicros: trade.ingestionTimestampMicros, symbol: trade.symbol, tradeId: trade.tradeId, ...(tier === undefined ? {} : { shedTier: tier }) },
      })
      checkBackPressure()
    },
    quote(q, receivedMicros) {
      const quote: Quote = { ...q, platformSequence: ++platformSequence }
      const tier = degradation.shedTier(quote.symbol, topics.deferredQuotes)
      producer.enqueue({
        topic: tier === undefined ? topics.quotes : topics.deferredQuotes!,
        key: quote.symbol,
        value: encoder.encodeQuote(quote),
        ...(tier === undefined ? {} : { headers: { 'k2-tier': String(tier) } }),
        meta: { stream: 'quotes', receivedMicros, ...(tier === undefined ? {} : { shedTier: tier }) },
      })
      checkBackPressure()
    },
    deadLetter(raw, reason, detail, receivedMicros, source, symbol) {
      deadLetters.labels(reason).inc()
      if (!loggedReasons.has(reason)) {
        loggedReasons.add(reason)
        log.warn('frame sent to the dead-letter topic (logged once per reason; counted in k2_ingest_dead_letters_total)', { reason, detail })
      }
      producer.enqueue({
        topic: topics.deadLetter,
        key: symbol ?? null,
        value: Buffer.from(raw, 'utf8'),
        headers: { reason, detail: detail.slice(0, 500), source, exchange: options.exchange, received_at_us: receivedMicros.toString() },
        meta: { stream: 'dead_letter', receivedMicros },
      })
    },
    flush: () => producer.flush(),
    report: () => report,
  }
}

/**
 * What an acknowledged batch does: lets the feed read again once Kafka has caught up, observes
 * each record's latency from receipt to acknowledgement (the worst of the batch goes to the
 * degradation level), and counts records by stream and shed records by tier.
 */
function acknowledgementHandler(
  deps: Pick<IngestOutputDeps, 'gate' | 'degradation' | 'logger' | 'metrics'>,
  report: { trades: number; quotes: number; deadLetters: number; shed: { trades: number; quotes: number } },
  pendingBytes: () => number,
): (batch: ReadonlyArray<OutgoingRecord<RecordMeta>>) => void {
  const { gate, degradation, logger: log, metrics: m } = deps
  const shedCounter = m.get('degradeShed')
  // Labelled children looked up once: prom-client hashes label values on every labels() call.
  const latency = m.get('ingestProduceLatency')
  const latencyBy = { trades: latency.labels('trades'), quotes: latency.labels('quotes'), dead_letter: latency.labels('dead_letter') }
  const records = m.get('ingestRecords')
  return (batch) => {
    // Still counted as pending while this runs: what waits after it is the rest.
    if (gate.kafkaBehind) {
      let acked = 0
      for (const r of batch) acked += r.value.length
      const left = pendingBytes() - acked
      if (gate.acknowledged(left)) log.info('Kafka caught up: reading the feed again', { pendingBytes: left })
    }
    const now = nowMicros()
    const counts = { trades: 0, quotes: 0, dead_letter: 0 }
    let worst = 0
    for (const r of batch) {
      counts[r.meta.stream]++
      const seconds = Number(now - r.meta.receivedMicros) / 1e6
      latencyBy[r.meta.stream].observe(seconds)
      if (seconds > worst) worst = seconds
      if (r.meta.shedTier !== undefined) {
        shedCounter.labels(r.meta.stream, String(r.meta.shedTier)).inc()
        if (r.meta.stream === 'trades') report.shed.trades++
        else report.shed.quotes++
      }
    }
    degradation.produceLatency(worst)
    for (const [stream, n] of Object.entries(counts)) if (n) records.labels(stream).inc(n)
    report.trades += counts.trades
    report.quotes += counts.quotes
    report.deadLetters += counts.dead_letter
  }
}
