/**
 * The Iceberg sink worker: Kafka trades and quotes → Parquet → Iceberg (market.trades,
 * market.quotes), exactly once. Thin main: config, dependencies, `runIcebergSink` until
 * SIGTERM/SIGINT, a new run after a failure Kafka or another service caused (it resumes from the
 * table's offsets, as a restarted process would); exit 1 on any other failure.
 */
import * as path from 'node:path'
import {
  createLogger,
  createWorkerMetrics,
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createWarehouseFileIO,
  errorMessage,
  loadConfig,
  runIcebergSink,
  startMetricsServer,
  type Logger,
  type SinkPhase,
} from '../lib/index'
import { Kafka, logLevel } from 'kafkajs'
import { runAgainOnTransient } from './run-again'
import { afterGrace, workerStopSignal } from './stop-signal'

async function main(): Promise<number> {
  const config = loadConfig(process.env)
  const log = createLogger({ level: config.log.level, format: config.log.format, write: (l) => process.stderr.write(l), namespace: 'iceberg-sink' })
  const stop = workerStopSignal(config, log)
  // The clients outlive the stop by the grace the sink gives its last commits (and a little more).
  const clientsUntil = afterGrace(stop, config.worker.stopGraceMs + 2_000)

  const metrics = createWorkerMetrics('iceberg-sink')
  const server = await startMetricsServer(metrics.registry, { host: config.host, port: config.sink.metricsPort, worker: 'iceberg-sink', targetsDir: config.paths.scrapeTargets })
  log.info('metrics served', { url: server.url })
  const io = createWarehouseFileIO(config)
  const runOnce = (): ReturnType<typeof runIcebergSink> =>
    runIcebergSink(
      {
        namespace: config.sink.namespace,
        topics: config.topics,
        groupId: config.sink.groupId,
        maxRecords: config.sink.maxRecords,
        maxAgeMs: config.sink.maxAgeMs,
        rowGroupSize: config.sink.rowGroupSize,
        workDir: path.join(config.paths.state, 'iceberg-sink'),
        sessionTimeoutMs: config.sink.sessionTimeoutMs,
        maxUncommittedMs: config.sink.maxUncommittedMs,
        stopGraceMs: config.worker.stopGraceMs,
        onPhase: chaosHook(config.sink.chaos, log),
        degradation: config.degrade.enabled ? config.degrade.policy : undefined,
      },
      {
        kafka: new Kafka({ clientId: `${config.kafka.clientId}-iceberg-sink`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }),
        catalog: createRestCatalogClient({ url: config.catalog.url, signal: clientsUntil }),
        io,
        serde: createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url, signal: clientsUntil }) }),
        logger: log,
        metrics,
      },
      stop,
    )
  try {
    // A broker restart can end a run with a kafkajs error its consumer did not retry (seen: "Failed
    // to find group coordinator" while the broker came back). The table holds the positions, so a
    // new run loses and doubles nothing: start one, with backoff, instead of exiting (D65, D69).
    const report = await runAgainOnTransient(runOnce, stop, log, "the table's offsets")
    if (report) log.info('stopped cleanly', report.tables)
    return 0
  } catch (err) {
    log.error('iceberg sink failed', { error: errorMessage(err) })
    return 1
  } finally {
    io.close()
    await server.close()
  }
}

/**
 * K2_SINK_CHAOS (chaos tests only): SIGKILL this process at a flush phase with some probability.
 * At `commit-sent` the kill lands a few ms later, while the commit request is in flight.
 */
function chaosHook(chaos: Partial<Record<SinkPhase, number>>, log: Logger): ((phase: SinkPhase) => void) | undefined {
  if (Object.keys(chaos).length === 0) return undefined
  log.warn('chaos enabled: this sink will kill itself', chaos)
  return (phase) => {
    const p = chaos[phase] ?? 0
    if (Math.random() >= p) return
    process.stderr.write(`chaos: SIGKILL at ${phase}\n`)
    if (phase === 'commit-sent') setTimeout(() => process.kill(process.pid, 'SIGKILL'), Math.floor(Math.random() * 15))
    else process.kill(process.pid, 'SIGKILL')
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`iceberg-sink: ${errorMessage(err)}\n`)
    process.exit(1)
  },
)
