/**
 * The maintenance worker: compaction of small files, snapshot expiry and removal of orphan files
 * on market.trades, market.quotes and the rollup, beside the running sink, and the one-minute
 * rollup of the trades (market.trades_bars_1m, D74), whose unfolded source snapshots expiry keeps.
 * Thin main: config, dependencies, `runMaintenance` and `runRollup` until SIGTERM/SIGINT; exit 1
 * on failure.
 */
import * as path from 'node:path'
import {
  compactionTimeColumns,
  createLogger,
  createManifestReader,
  createWorkerMetrics,
  createRestCatalogClient,
  createWarehouseFileIO,
  errorMessage,
  loadConfig,
  latestTradesRollup,
  latestTradesTable,
  minuteBarsRollup,
  minuteBarsTable,
  processWorkDir,
  runMaintenance,
  runRollup,
  startMetricsServer,
  tradesTable,
  quotesTable,
} from '../lib/index'
import { lowerPriority } from './priority'
import { afterGrace, workerStopSignal } from './stop-signal'

async function main(): Promise<number> {
  const config = loadConfig(process.env)
  const log = createLogger({ level: config.log.level, format: config.log.format, write: (l) => process.stderr.write(l), namespace: 'maintenance' })
  lowerPriority(config.maintenance.nice, log, 'compaction waits for the ingest, the sink and queries')
  const stop = workerStopSignal(config, log)

  const metrics = createWorkerMetrics('maintenance')
  const server = await startMetricsServer(metrics.registry, { host: config.host, port: config.maintenance.metricsPort, worker: 'maintenance', targetsDir: config.paths.scrapeTargets })
  log.info('metrics served', { url: server.url })
  const io = createWarehouseFileIO(config)
  const catalog = createRestCatalogClient({ url: config.catalog.url, signal: afterGrace(stop, config.worker.stopGraceMs) })
  const manifests = createManifestReader(io)
  const table = (name: string) => ({ catalog, io, namespace: [config.sink.namespace], name, manifests })
  // Until the rollup's first round says which trades snapshots it still needs, none expire.
  const floors = new Map<string, number | undefined>([[tradesTable.name, 0]])
  try {
    const rollup = runRollup(
      { namespace: config.sink.namespace, source: tradesTable.name, designs: [minuteBarsRollup, latestTradesRollup], intervalMs: config.maintenance.rollupIntervalMs, maxAppends: 50, workDir: processWorkDir(path.join(config.paths.state, 'rollup')) },
      { table, logger: log, metrics, onExpiryFloor: (source, floorMs) => floors.set(source, floorMs) },
      stop,
    )
    const maintenance = runMaintenance(
      {
        namespace: config.sink.namespace,
        tables: [tradesTable.name, quotesTable.name, minuteBarsTable.name, latestTradesTable.name],
        timeColumns: compactionTimeColumns,
        intervalMs: config.maintenance.intervalMs,
        targetFileBytes: config.maintenance.targetFileBytes,
        openHourMinFiles: config.maintenance.openHourMinFiles,
        snapshotMaxAgeMs: config.maintenance.snapshotMaxAgeMs,
        keepSnapshots: config.maintenance.keepSnapshots,
        orphanMinAgeMs: config.maintenance.orphanMinAgeMs,
        workDir: processWorkDir(path.join(config.paths.state, 'maintenance')),
      },
      { table, logger: log, metrics, expiryFloorMs: (name) => floors.get(name) },
      stop,
    )
    await Promise.all([rollup, maintenance])
    log.info('stopped cleanly')
    return 0
  } catch (err) {
    log.error('maintenance failed', { error: errorMessage(err) })
    return 1
  } finally {
    io.close()
    await server.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`maintenance: ${errorMessage(err)}\n`)
    process.exit(1)
  },
)
