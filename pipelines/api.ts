/**
 * The HTTP API worker: /v1/trades, /v1/trades/recent, /v1/quotes, /v1/symbols, /v1/bars,
 * /v1/snapshots, /health, /metrics and /openapi.json over the hybrid query engine. Thin main:
 * config, engine, server until SIGTERM/SIGINT; exit 1 on failure.
 */
import { Kafka, logLevel } from 'kafkajs'
import { createHealthChecks, createLogger, createWorkerMetrics, createWarehouseFileIO, errorMessage, isWorkbenchError, loadConfig, openQueryEngine, retry, startApiServer } from '../lib/index'
import { lowerPriority } from './priority'
import { stopped, stoppedWhileStarting, workerStopSignal } from './stop-signal'

async function main(): Promise<number> {
  const config = loadConfig(process.env)
  const log = createLogger({ level: config.log.level, format: config.log.format, write: (l) => process.stderr.write(l), namespace: 'api' })
  const stop = workerStopSignal(config, log)
  lowerPriority(config.api.nice, log, 'queries yield the CPU to the ingest and sink when the machine is busy')
  const metrics = createWorkerMetrics('api')
  const io = createWarehouseFileIO(config)
  const kafka = new Kafka({ clientId: `${config.kafka.clientId}-api`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  let engine: Awaited<ReturnType<typeof openQueryEngine>> | undefined
  try {
    // On a fresh broker the topics the engine creates have no leader for a moment ("not the leader
    // for that topic-partition"): a start-up race, retried, not a reason to exit.
    engine = await retry(() => openQueryEngine(config, { logger: log, metrics }), { attempts: 8, initialDelayMs: 500, maxDelayMs: 5000, factor: 2, jitter: 0.2 }, stop, {
      isRetryable: (err) => (isWorkbenchError(err) ? err.retryable : (err as { retriable?: boolean }).retriable === true),
      onRetry: (err, attempt, delayMs) => log.warn(`opening the query engine failed; retrying in ${delayMs} ms`, { attempt, error: errorMessage(err) }),
    })
    const server = await startApiServer(
      { host: config.host, port: config.api.port, maxRows: config.api.maxRows, maxRangeMs: config.api.maxRangeMs, timeoutMs: config.api.timeoutMs, targetsDir: config.paths.scrapeTargets },
      { engine, health: createHealthChecks(config, { kafka, io, engine }), logger: log, metrics },
    )
    await stopped(stop)
    await server.close()
    log.info('stopped cleanly')
    return 0
  } catch (err) {
    if (stoppedWhileStarting(err, stop)) {
      log.info('stopped: the stop cut a wait short (starting, or retrying)')
      return 0
    }
    log.error('api failed', { error: errorMessage(err) })
    return 1
  } finally {
    await engine?.close().catch(() => undefined)
    io.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`api crashed: ${errorMessage(err)}\n`)
    process.exit(1)
  },
)
