import * as path from 'node:path'
import { requestJson, type WorkbenchConfig } from '../../lib/internal'
import { engineNodeFlags } from '../lib/node-flags'
import type { ServiceContext, ServiceDefinition } from '../lib/service'

/** A worker runs as one node process with tsx's loader, so SIGTERM reaches it directly; `nodeFlags` go before the loader. */
function workerCommand(ctx: ServiceContext, script: string, marker: string, nodeFlags: readonly string[] = []): { command: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  return {
    command: process.execPath,
    args: [...nodeFlags, '--import', 'tsx', path.join(ctx.config.paths.root, 'pipelines', script), marker],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', K2_LOG_FORMAT: 'json' },
    cwd: ctx.config.paths.root,
  }
}

const replayMarker = (c: WorkbenchConfig): string => `--k2-service=replay-exchange:${c.replay.port}`
const ingestMarker = (c: WorkbenchConfig): string => `--k2-service=ingest:${c.ingest.metricsPort}`
const sinkMarker = (c: WorkbenchConfig): string => `--k2-service=iceberg-sink:${c.sink.metricsPort}`
const maintenanceMarker = (c: WorkbenchConfig): string => `--k2-service=maintenance:${c.maintenance.metricsPort}`
const apiMarker = (c: WorkbenchConfig): string => `--k2-service=api:${c.api.port}`

/** The local exchange that speaks Binance's protocol: the default feed without internet. */
export const replayExchange: ServiceDefinition = {
  name: 'replay-exchange',
  group: 'pipeline',
  title: 'replay exchange (Binance protocol)',
  version: 'synthetic',
  dependsOn: [],
  // Stopped before the ingest, which then receives every trade the exchange played: trades
  // played after the ingest stopped would be forgotten by a restarted exchange (its REST history
  // starts at the restart), so the ingest could not repair them.
  stopsBeforeReaders: true,
  requirements: [],
  startTimeoutMs: 30_000,
  ports: (c) => [c.replay.port],
  address: (c) => `ws://${c.host}:${c.replay.port}`,
  provision: async () => {},
  prepare: async (ctx) => workerCommand(ctx, 'replay-exchange.ts', replayMarker(ctx.config)),
  marker: (ctx) => replayMarker(ctx.config),
  async health(ctx) {
    const info = await requestJson<{ symbols: unknown[] }>(`http://${ctx.config.host}:${ctx.config.replay.port}/api/v3/exchangeInfo`, { timeoutMs: 2000 })
    return `${info.symbols.length} symbols, seed ${ctx.config.replay.seed}, rate ${ctx.config.replay.rate}`
  },
}

/** The ingest worker: feed → Avro → Kafka. Healthy once its feed connection is open. */
export const ingest: ServiceDefinition = {
  name: 'ingest',
  group: 'pipeline',
  title: 'ingest worker',
  version: '',
  dependsOn: ['kafka', 'schema-registry', 'replay-exchange'],
  requirements: [],
  startTimeoutMs: 60_000,
  ports: (c) => [c.ingest.metricsPort],
  address: (c) => `http://${c.host}:${c.ingest.metricsPort}/metrics`,
  provision: async () => {},
  prepare: async (ctx) => workerCommand(ctx, 'ingest.ts', ingestMarker(ctx.config)),
  marker: (ctx) => ingestMarker(ctx.config),
  async health(ctx) {
    const text = await requestJson<string>(`http://${ctx.config.host}:${ctx.config.ingest.metricsPort}/metrics`, { timeoutMs: 2000 })
    if (!/^k2_ingest_connected 1$/m.test(text)) throw new Error('the ingest worker is not connected to its feed')
    const trades = /^k2_ingest_records_total\{stream="trades"\} (\d+)/m.exec(text)?.[1] ?? '0'
    return `${Number(trades).toLocaleString('en')} trades produced`
  },
}

/** The Iceberg sink: Kafka → Parquet on the object store → commits through the REST catalog. */
export const icebergSink: ServiceDefinition = {
  name: 'iceberg-sink',
  group: 'pipeline',
  title: 'Iceberg sink (exactly once)',
  version: '',
  dependsOn: ['kafka', 'schema-registry', 'iceberg-rest', 'minio'],
  // After the ingest: its clean stop commits what is staged, which then includes the ingest's last
  // records, so a restarted sink does not start on a stale backlog.
  stopsAfterWriters: true,
  requirements: [],
  startTimeoutMs: 60_000,
  ports: (c) => [c.sink.metricsPort],
  address: (c) => `http://${c.host}:${c.sink.metricsPort}/metrics`,
  provision: async () => {},
  prepare: async (ctx) => workerCommand(ctx, 'iceberg-sink.ts', sinkMarker(ctx.config)),
  marker: (ctx) => sinkMarker(ctx.config),
  async health(ctx) {
    const text = await requestJson<string>(`http://${ctx.config.host}:${ctx.config.sink.metricsPort}/metrics`, { timeoutMs: 2000 })
    const committed = /^k2_sink_records_total\{table="trades"\} (\d+)/m.exec(text)?.[1] ?? '0'
    const lag = /^k2_sink_lag_seconds\{table="trades"\} ([\d.e+-]+)/m.exec(text)?.[1]
    return `${Number(committed).toLocaleString('en')} trades committed${lag === undefined ? '' : `, lake lag ${Number(lag).toFixed(0)} s`}`
  },
}

/** Compaction, snapshot expiry and orphan removal beside the sink. */
export const maintenance: ServiceDefinition = {
  name: 'maintenance',
  group: 'pipeline',
  title: 'lake maintenance (compaction, expiry)',
  version: '',
  dependsOn: ['iceberg-rest', 'minio'],
  requirements: [],
  startTimeoutMs: 60_000,
  ports: (c) => [c.maintenance.metricsPort],
  address: (c) => `http://${c.host}:${c.maintenance.metricsPort}/metrics`,
  provision: async () => {},
  prepare: async (ctx) => workerCommand(ctx, 'maintenance.ts', maintenanceMarker(ctx.config)),
  marker: (ctx) => maintenanceMarker(ctx.config),
  async health(ctx) {
    const text = await requestJson<string>(`http://${ctx.config.host}:${ctx.config.maintenance.metricsPort}/metrics`, { timeoutMs: 2000 })
    const files = /^k2_maintenance_data_files\{table="trades"\} (\d+)/m.exec(text)?.[1]
    return files === undefined ? 'waiting for the first round' : `${files} data files in trades`
  },
}

/** The HTTP API over the hybrid query engine. */
export const api: ServiceDefinition = {
  name: 'api',
  group: 'pipeline',
  title: 'HTTP API (hybrid queries)',
  version: '',
  dependsOn: ['kafka', 'schema-registry', 'iceberg-rest', 'minio'],
  requirements: [],
  startTimeoutMs: 60_000,
  ports: (c) => [c.api.port],
  address: (c) => `http://${c.host}:${c.api.port}/openapi.json`,
  provision: async () => {},
  prepare: async (ctx) => workerCommand(ctx, 'api.ts', apiMarker(ctx.config), engineNodeFlags),
  marker: (ctx) => apiMarker(ctx.config),
  async health(ctx) {
    const h = await requestJson<{ status: string; checks: Array<{ name: string; ok: boolean }> }>(`http://${ctx.config.host}:${ctx.config.api.port}/health`, { timeoutMs: 5000 }).catch((err: unknown) => {
      // 503 answers carry the checks too: name what is down.
      const body = (err as { body?: unknown }).body
      if (body && typeof body === 'object' && 'checks' in body) return body as { status: string; checks: Array<{ name: string; ok: boolean }> }
      if (typeof body === 'string' && body.includes('"checks"')) return JSON.parse(body) as { status: string; checks: Array<{ name: string; ok: boolean }> }
      throw err
    })
    const down = h.checks.filter((c) => !c.ok).map((c) => c.name)
    return down.length === 0 ? `${h.checks.length} dependencies up` : `answering; down: ${down.join(', ')}`
  },
}
