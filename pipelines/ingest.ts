/**
 * The ingest worker: exchange WebSocket (Binance or the replay exchange) → Avro → Kafka.
 * Thin main: config, dependencies, `runIngestor` until SIGTERM/SIGINT, a new run after a Kafka
 * failure (from the checkpoint); exit 1 on any other failure.
 */
import {
  createLogger,
  createWorkerMetrics,
  createRecordSerde,
  createSchemaRegistryClient,
  createThreadedKafkaSender,
  errorMessage,
  loadConfig,
  runIngestor,
  shardTransactionalId,
  startMetricsServer,
} from '../lib/index'
// After lib: lib/ingest patches a quadratic kafkajs helper before kafkajs loads it.
import { Kafka, logLevel } from 'kafkajs'
import { runAgainOnTransient } from './run-again'
import { afterGrace, stoppedWhileStarting, workerStopSignal } from './stop-signal'

async function main(): Promise<number> {
  const config = loadConfig(process.env)
  const log = createLogger({ level: config.log.level, format: config.log.format, write: (l) => process.stderr.write(l), namespace: 'ingest' })
  const stop = workerStopSignal(config, log)

  const metrics = createWorkerMetrics('ingest')
  const server = await startMetricsServer(metrics.registry, { host: config.host, port: config.ingest.metricsPort, worker: 'ingest', targetsDir: config.paths.scrapeTargets })
  log.info('metrics served', { url: server.url })
  try {
    const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url, signal: afterGrace(stop, config.worker.stopGraceMs) }) })
    const ids = await serde.registerSchemas({ trades: config.topics.trades, quotes: config.topics.quotes })
    log.info('schemas registered', { ...ids })
    // One run: a sender whose transactional id fences a previous one (and aborts what it left
    // half-written), then the ingestor until the stop signal or a batch Kafka refused after retries.
    const runOnce = async (): Promise<Awaited<ReturnType<typeof runIngestor>>> => {
      const sender = await createThreadedKafkaSender({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-ingest`, transactionalId: shardTransactionalId(`k2-ingest-${config.topics.trades}`, config.ingest.shard) })
      const kafka = new Kafka({ clientId: `${config.kafka.clientId}-ingest`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
      return runIngestor(
        {
          exchange: 'BINANCE',
          wsUrl: config.feed.wsUrl,
          restUrl: config.feed.restUrl,
          symbols: config.feed.symbols,
          timeUnit: config.feed.timeUnit,
          streams: config.feed.streams,
          shard: config.ingest.shard,
          maxConnectionMs: config.feed.maxConnectionMs,
          maxFrameBytes: config.feed.maxFrameBytes,
          topics: config.topics,
          reorderWindowMs: config.ingest.reorderWindowMs,
          maxPendingPerSymbol: config.ingest.maxPendingPerSymbol,
          batchMaxRecords: config.ingest.batchMaxRecords,
          lingerMs: config.ingest.lingerMs,
          maxPendingBytes: config.ingest.maxPendingBytes,
          compression: config.ingest.compression,
          degradation: config.degrade.enabled ? { policy: config.degrade.policy, sinkGroupId: config.sink.groupId } : undefined,
        },
        { kafka, encoder: { encodeTrade: (t) => serde.serializeTrade(t), encodeQuote: (q) => serde.serializeQuote(q) }, logger: log, metrics, sender },
        stop,
      )
    }
    // A broker restart (or an outage longer than the client's retries) ends a run with a
    // retryable error: the worker starts a new run, which resumes from the checkpoint and repairs
    // the gap over REST, instead of exiting and leaving the feed unread until someone restarts it.
    // A kafkajs NOT_LEADER_FOR_PARTITION while the sender or the checkpoint reader starts, seen
    // during a broker restart, counts as transient too.
    const report = await runAgainOnTransient(runOnce, stop, log, 'the checkpoint')
    if (!report) return 0
    log.info('stopped cleanly', { ...report })
    return 0
  } catch (err) {
    if (stoppedWhileStarting(err, stop)) {
      log.info('stopped: the stop cut a wait short (starting, or retrying)')
      return 0
    }
    log.error('ingest failed', { error: errorMessage(err) })
    return 1
  } finally {
    await server.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ingest: ${errorMessage(err)}\n`)
    process.exit(1)
  },
)
