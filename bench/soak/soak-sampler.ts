/**
 * Every 5 s, one `SoakSample`: the ingest's and the sink's /metrics (levels, signals, lag,
 * counters), CPU and RSS of every service and worker process tree from /proc, and what the API
 * load loop and the notebook kernel finished in the interval. One reading at a time, each
 * scrape bounded by a timeout, so a hung worker shows as a gap, never as a hung bench.
 */
import { parseExposition, type WorkbenchConfig } from '../../lib/internal'
import type { ApiLoad } from './api-load'
import type { KernelLoop } from './kernel-loop'
import { procClock, readProcessTable, treeUsage, type ProcessTable } from './proc-stat'
import { levelName, quantileOf, type SoakPhase, type SoakSample } from './soak-sample'
import type { SoakStack } from './soak-stack'
import { declaredMetrics, fromWorkerMetrics, type WorkerExposition } from './worker-metrics'

export interface Sampler {
  readonly samples: readonly SoakSample[]
  /** What the following samples are labelled with. */
  setPhase(phase: SoakPhase, rate: number): void
  /** Takes one sample now (between the timed ones), e.g. at a phase boundary. */
  sampleNow(): Promise<SoakSample>
  stop(): Promise<void>
}

export interface SamplerOptions {
  readonly config: WorkbenchConfig
  readonly stack: SoakStack
  readonly intervalMs: number
  /** Seconds since the run started. */
  readonly clock: () => number
  readonly api: () => ApiLoad | undefined
  readonly kernel: () => KernelLoop | undefined
  readonly log: (line: string) => void
}

async function scrape(url: string): Promise<WorkerExposition | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
    if (!res.ok) return undefined
    const text = await res.text()
    return { samples: parseExposition(text), declared: declaredMetrics(text) }
  } catch {
    return undefined
  }
}

/** The replay exchange's schedule lag, seconds (undefined when it does not answer). */
async function feedLag(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
    if (!res.ok) return undefined
    const lag = ((await res.json()) as { scheduleLagMs?: unknown }).scheduleLagMs
    return typeof lag === 'number' ? lag / 1000 : undefined
  } catch {
    return undefined
  }
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20)

/** One line a sample, for the terminal. */
export function sampleLine(s: SoakSample): string {
  const cpu = Object.entries(s.processes)
    .filter(([, p]) => p.cpu !== undefined && p.cpu >= 0.05)
    .sort((a, b) => b[1].cpu! - a[1].cpu!)
    .map(([n, p]) => `${n} ${p.cpu!.toFixed(2)}`)
    .join(' ')
  const lag = `${s.lakeLagSeconds === undefined ? '–' : `${s.lakeLagSeconds.toFixed(0)} s`}${s.feedLagSeconds ? ` (feed ${s.feedLagSeconds.toFixed(0)} s behind)` : ''}`
  return `${String(Math.round(s.t)).padStart(5)} s ${s.phase.padEnd(8)} rate ${s.rate} · ingest ${levelName(s.level.ingest) ?? '–'} sink ${levelName(s.level.sink) ?? '–'} · lag ${lag} · shed ${s.counters.shed ?? '–'} · api ${s.api.requests} req${s.api.p99Ms === undefined ? '' : ` p99 ${s.api.p99Ms} ms`} · kernel ${s.kernel.cells} cells · cpu ${cpu}`
}

/** Starts sampling at once (the first sample has no CPU shares: they need an earlier reading). */
export function startSampler(o: SamplerOptions): Sampler {
  const clock = procClock()
  const samples: SoakSample[] = []
  let phase: SoakPhase = 'warmup'
  let rate = 0
  let before: { table: ProcessTable; t: number } | undefined
  let running = true
  let busy: Promise<SoakSample> | undefined
  const host = o.config.host

  async function take(): Promise<SoakSample> {
    const t = o.clock()
    const [ingest, sink, feedLagSeconds] = await Promise.all([
      scrape(`http://${host}:${o.config.ingest.metricsPort}/metrics`),
      scrape(`http://${host}:${o.config.sink.metricsPort}/metrics`),
      feedLag(`http://${host}:${o.config.replay.port}/k2/stats`),
    ])
    const table = readProcessTable()
    const roots = new Map<string, number>([...o.stack.pids()].map(([n, pid]) => [n, pid]))
    roots.set('bench', process.pid)
    const kernel = o.kernel()
    if (kernel) {
      roots.set('kernel-driver', kernel.driverPid)
      const k = kernel.kernelPid()
      if (k !== undefined) roots.set('notebook-kernel', k)
    }
    const exclude = new Set(roots.values())
    const processes: Record<string, { cpu?: number; rssMiB: number }> = {}
    for (const [name, pid] of roots) {
      const u = treeUsage(before?.table, table, pid, before ? t - before.t : 0, clock, exclude)
      if (u.pids > 0) processes[name] = { cpu: u.coreShare === undefined ? undefined : Math.round(u.coreShare * 1000) / 1000, rssMiB: mib(u.rssBytes) }
    }
    before = { table, t }
    const requests = o.api()?.drain() ?? []
    const okMs = requests.filter((r) => r.ok).map((r) => r.ms)
    const cells = kernel?.drain() ?? []
    const cellMs = cells.filter((c) => c.ok).map((c) => c.ms)
    const sample: SoakSample = {
      t: Math.round(t * 10) / 10,
      at: Date.now(),
      phase,
      rate,
      ...fromWorkerMetrics({ ingest, 'iceberg-sink': sink }),
      ...(feedLagSeconds === undefined ? {} : { feedLagSeconds }),
      api: { requests: requests.length, errors: requests.length - okMs.length, p50Ms: quantileOf(okMs, 0.5), p99Ms: quantileOf(okMs, 0.99) },
      kernel: { cells: cells.length, errors: cells.length - cellMs.length, p50Ms: quantileOf(cellMs, 0.5) },
      processes,
    }
    samples.push(sample)
    o.log(sampleLine(sample))
    return sample
  }

  const once = (): Promise<SoakSample> => {
    const next = (busy ?? Promise.resolve(undefined as unknown as SoakSample)).then(take, take)
    busy = next
    return next
  }

  const loop = (async () => {
    while (running) {
      const started = Date.now()
      await once()
      const wait = o.intervalMs - (Date.now() - started)
      if (wait > 0 && running) await new Promise((r) => setTimeout(r, wait))
    }
  })()

  return {
    samples,
    setPhase(p, r) {
      phase = p
      rate = r
    },
    sampleNow: once,
    async stop() {
      running = false
      await loop
      await busy
    },
  }
}
