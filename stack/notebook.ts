/**
 * The notebooks' handle on the live stack: the config, the pipeline workers (start, stop and
 * watch them from a cell), the query engine, worker metrics and Prometheus. Lives beside the
 * stack manager it drives; the analysis itself comes from `lib` (engine, analytics, viz).
 *
 * Workers a kernel starts are its own: they get K2_STOP_WITH_PID and stop cleanly once the
 * kernel is gone, however it ended. Workers that were already running (started by
 * `npm run demo` or `npm run pipelines -- up`) are used as they are and outlive the kernel.
 */
import { Kafka, logLevel } from 'kafkajs'
import {
  createLiveDisplay,
  errorMessage,
  loadConfig,
  openQueryEngine,
  parseExposition,
  requestJson,
  sleep,
  tableBundle,
  type DisplayBundle,
  type MetricSample,
  type QueryEngine,
  type WorkbenchConfig,
  type story,
} from '../lib/index'
import { runChecks } from './lib/doctor'
import { healthVerdict, type HealthVerdict } from './lib/health'
import { departedOwner } from './lib/process'
import { createStack, type ServiceStatus, type Stack } from './lib/manager'
import type { Reporter } from './lib/provision'
import { pipelineNames, type ServiceName } from './lib/service'
import { allServices, groupNames } from './services/index'

/** The workers a notebook can start: the pipeline group of the stack. */
export type PipelineName = (typeof pipelineNames)[number]

export interface UpOptions {
  /** Extra settings for the workers this call starts (e.g. a shorter commit interval in quick mode). */
  readonly env?: Readonly<Record<string, string>>
  /** Start them as the stack would, not tied to this kernel (to restore a worker the stack had started). */
  readonly outliveKernel?: boolean
}

/** The handle a notebook's cells use; lib's story helpers take it as their `StoryStack`. */
export interface NotebookWorkbench extends story.StoryStack {
  readonly config: WorkbenchConfig
  /** Shows every service and worker: state, address, what it reports, and who started it. */
  status(): Promise<ServiceStatus[]>
  /** One worker's state, quietly (for polling in a loop). */
  state(name: PipelineName): Promise<ServiceStatus['state']>
  /** Starts the workers not running yet (and what they need), with progress in one updating output. */
  up(names: readonly PipelineName[], options?: UpOptions): Promise<void>
  /** Stops workers (by default the ones this kernel started). */
  down(names?: readonly PipelineName[]): Promise<void>
  /** The last lines of a worker's log. */
  logs(name: PipelineName, lines?: number): string
  /** Workers this kernel started. */
  owned(): readonly PipelineName[]
  /** Polls `check` until it returns a value, showing what it waits for and for how long. */
  waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>
  /** The hybrid query engine on the configured tables (opened once, shared by cells). */
  engine(): Promise<QueryEngine>
  /** A Kafka client on the configured brokers (for admin look-ups). */
  kafka(): Kafka
  /** The samples a worker's /metrics serves now. */
  scrape(worker: 'ingest' | 'iceberg-sink' | 'maintenance' | 'api'): Promise<MetricSample[]>
  /** A PromQL instant query: one row per series. */
  promQuery(expr: string): Promise<Array<{ labels: Record<string, string>; value: number }>>
  /** A PromQL range query over the last `minutes`, one row per point. */
  promRange(expr: string, minutes: number, stepSeconds?: number): Promise<Array<{ labels: Record<string, string>; at: Date; value: number }>>
  /** The doctor's checks, as a table. */
  doctor(): Promise<void>
  /**
   * Is the stack healthy at nominal load (every worker up, lake lag within the commit interval +
   * 10 s, both degradation levels NORMAL)? Waits up to `timeoutMs` for it, shows the checks as a
   * table, and — in a recording run (`npm run notebooks`, K2_NOTEBOOK_STRICT_HEALTH=1) — throws
   * when one still fails, so a demo backup is never recorded on a sick stack.
   */
  checkHealth(timeoutMs?: number): Promise<HealthVerdict>
  /** Closes the engine and clients; workers keep their ownership rules. */
  close(): Promise<void>
}


/** Connects to the stack from config (the environment plus the stack's generated credentials). */
export function connectWorkbench(env: NodeJS.ProcessEnv = process.env): NotebookWorkbench {
  const config = loadConfig(env)
  const started = new Set<PipelineName>()
  let engine: Promise<QueryEngine> | undefined
  let kafka: Kafka | undefined

  /** A stack whose progress lines go to one live output of the running cell. */
  const liveStack = (title: string): { stack: Stack; done(note: string): void } => {
    const live = createLiveDisplay()
    const lines: string[] = []
    const t0 = Date.now()
    const render = (note?: string): void =>
      live.update(textBundle(`${title}${note ? ` — ${note}` : ''} (${((Date.now() - t0) / 1000).toFixed(0)} s)`, lines.slice(-12)))
    const reporter: Reporter = {
      line(service, message) {
        lines.push(`${new Date().toISOString().slice(11, 19)} ${service.padEnd(16)} ${message}`)
        render()
      },
    }
    render()
    return { stack: createStack(config, allServices, reporter), done: render }
  }

  const workbench: NotebookWorkbench = {
    config,

    async status() {
      const rows = await createStack(config, allServices, silentReporter).status()
      const table = rows.map((s) => ({
        service: s.name,
        state: s.state,
        address: s.address,
        reports: s.state === 'up' ? s.version : (s.problem ?? '').split('\n')[0],
        'started by': s.owner === 'external' ? 'outside this stack' : started.has(s.name as PipelineName) ? 'this notebook' : s.state === 'down' ? '' : 'the stack',
      }))
      show(tableBundle(table, { caption: 'services and workers' }))
      return rows
    },

    async state(name) {
      const [s] = await createStack(config, allServices, silentReporter).status([name])
      return s!.state
    },

    async up(names, options = {}) {
      const { stack, done } = liveStack(`starting ${names.join(', ')}`)
      await awaitDepartingWorkers(stack)
      const wasDown = new Set((await stack.status(pipelineNames)).filter((s) => s.state === 'down').map((s) => s.name))
      // The servers first, as the stack runs them (they outlive the kernel).
      await stack.up(groupNames('infra').filter((n) => n !== 'jupyter'))
      // Then the workers, tied to this kernel: the stack passes its environment to what it starts.
      const overrides: Record<string, string> = { ...options.env, K2_STOP_WITH_PID: options.outliveKernel ? '0' : String(process.pid) }
      const saved = Object.keys(overrides).map((k) => [k, process.env[k]] as const)
      Object.assign(process.env, overrides)
      try {
        await stack.up(names as ServiceName[])
      } finally {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      }
      const now = await stack.status(pipelineNames)
      if (!options.outliveKernel) for (const s of now) if (wasDown.has(s.name) && s.state === 'up') started.add(s.name as PipelineName)
      done('up')
    },

    async down(names) {
      const which = names ?? [...started]
      if (which.length === 0) return
      const { stack, done } = liveStack(`stopping ${which.join(', ')}`)
      await stack.down(which as ServiceName[])
      for (const n of which) started.delete(n)
      done('stopped')
    },

    owned: () => [...started],

    logs: (name, lines = 20) => createStack(config, allServices, silentReporter).logs(name, lines),

    async waitFor(what, check, timeoutMs = 120_000) {
      const live = createLiveDisplay()
      const t0 = Date.now()
      let last: unknown
      while (Date.now() - t0 < timeoutMs) {
        try {
          const v = await check()
          if (v !== undefined) {
            live.update(textBundle(`${what}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`, []))
            return v
          }
        } catch (err) {
          last = err
        }
        live.update(textBundle(`waiting for ${what} … ${((Date.now() - t0) / 1000).toFixed(0)} s`, last ? [errorMessage(last)] : []))
        await sleep(500)
      }
      throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s${last ? `: ${errorMessage(last)}` : ''}`)
    },

    engine() {
      engine ??= openQueryEngine(config)
      return engine
    },

    kafka() {
      kafka ??= new Kafka({ clientId: `${config.kafka.clientId}-notebook`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
      return kafka
    },

    async scrape(worker) {
      const port = { ingest: config.ingest.metricsPort, 'iceberg-sink': config.sink.metricsPort, maintenance: config.maintenance.metricsPort, api: config.api.port }[worker]
      return parseExposition(await requestJson<string>(`http://${config.host}:${port}/metrics`, { timeoutMs: 5000 }))
    },

    async promQuery(expr) {
      const r = await requestJson<{ data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }>(`${config.prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`, { timeoutMs: 10_000 })
      return r.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }))
    },

    async promRange(expr, minutes, stepSeconds = 5) {
      const end = Date.now() / 1000
      const url = `${config.prometheus.url}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - minutes * 60}&end=${end}&step=${stepSeconds}`
      const r = await requestJson<{ data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } }>(url, { timeoutMs: 10_000 })
      return r.data.result.flatMap((s) => s.values.map(([t, v]) => ({ labels: s.metric, at: new Date(t * 1000), value: Number(v) })))
    },

    async doctor() {
      const checks = await runChecks(config, createStack(config, allServices, silentReporter))
      show(tableBundle(checks.map((c) => ({ check: c.name, ok: c.ok ? '✔' : '✖', detail: c.detail, fix: c.ok ? '' : (c.fix ?? '') })), { caption: 'doctor', maxRows: 100 }))
    },

    async checkHealth(timeoutMs = 90_000) {
      const measure = async (): Promise<HealthVerdict> => {
        const rows = await createStack(config, allServices, silentReporter).status(pipelineNames)
        const workers = Object.fromEntries(rows.map((r) => [r.name, r.state]))
        const scrapeQuietly = (w: 'ingest' | 'iceberg-sink'): Promise<MetricSample[]> => workbench.scrape(w).catch(() => [])
        const [ingest, sink] = await Promise.all([scrapeQuietly('ingest'), scrapeQuietly('iceberg-sink')])
        const level = (samples: MetricSample[]): number | undefined => samples.find((x) => x.name === 'k2_degrade_level')?.value
        const lakeLagSeconds = Object.fromEntries(sink.filter((x) => x.name === 'k2_sink_lag_seconds').map((x) => [x.labels.table ?? '?', x.value]))
        return healthVerdict({ workers, levels: { ingest: level(ingest), 'iceberg-sink': level(sink) }, lakeLagSeconds, commitIntervalSeconds: config.sink.maxAgeMs / 1000 })
      }
      let verdict = await measure()
      const t0 = Date.now()
      while (!verdict.ok && Date.now() - t0 < timeoutMs) {
        await sleep(2000)
        verdict = await measure()
      }
      show(tableBundle(verdict.checks.map((c) => ({ check: c.check, seen: c.seen, expected: c.expected, ok: c.ok ? '✔' : '✖' })), { caption: verdict.ok ? 'the stack is healthy' : 'the stack is NOT healthy', maxRows: 50 }))
      // A run that records the demo backup (npm run notebooks) fails on a sick stack; a person in
      // JupyterLab sees the table and reads on.
      if (!verdict.ok && process.env.K2_NOTEBOOK_STRICT_HEALTH === '1') throw new Error(`the stack is not healthy: ${verdict.problems.join('; ')}`)
      return verdict
    },

    async close() {
      const e = engine
      engine = undefined
      await (await e)?.close()
    },
  }
  return workbench
}

const silentReporter: Reporter = { line() {} }

/**
 * Waits out workers whose kernel is gone (a notebook executed just before this one): they are
 * stopping and would otherwise be taken for running ones, then vanish under this notebook.
 */
async function awaitDepartingWorkers(stack: Stack): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const departing = (await stack.status(pipelineNames)).filter((s) => s.pid !== undefined && departedOwner(s.pid) !== undefined)
    if (departing.length === 0) return
    if (Date.now() > deadline) throw new Error(`workers ${departing.map((s) => s.name).join(', ')} are still stopping a minute after the kernel that started them exited`)
    await sleep(250)
  }
}

function textBundle(title: string, lines: readonly string[]): DisplayBundle {
  const esc = (s: string): string => s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)
  return {
    'text/plain': [title, ...lines].join('\n'),
    'text/html': `<div><b>${esc(title)}</b>${lines.length ? `<pre style="margin:4px 0;font-size:11px">${esc(lines.join('\n'))}</pre>` : ''}</div>`,
  }
}

function show(bundle: DisplayBundle): void {
  createLiveDisplay().update(bundle)
}
