import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { metricDefinitions, type MetricKey, type MetricWorker } from './metric-names'

type Def = (typeof metricDefinitions)[MetricKey]
type Instance<K extends MetricKey> = (typeof metricDefinitions)[K]['type'] extends 'counter'
  ? Counter<string>
  : (typeof metricDefinitions)[K]['type'] extends 'gauge'
    ? Gauge<string>
    : Histogram<string>

/** Typed access to the workbench's metrics on one prom-client registry. */
export interface Metrics {
  readonly registry: Registry
  get<K extends MetricKey>(key: K): Instance<K>
}

/**
 * Metrics on `registry` (a fresh one by default). Registration is idempotent: asking twice, or
 * re-running a notebook cell, returns the metric already registered instead of throwing.
 */
export function createMetrics(registry: Registry = new Registry()): Metrics {
  return {
    registry,
    get<K extends MetricKey>(key: K): Instance<K> {
      const def: Def = metricDefinitions[key]
      const existing = registry.getSingleMetric(def.name)
      if (existing) return existing as Instance<K>
      const common = { name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry] }
      if (def.type === 'counter') return new Counter(common) as Instance<K>
      if (def.type === 'gauge') return new Gauge(common) as Instance<K>
      return new Histogram({ ...common, buckets: [...def.buckets] }) as Instance<K>
    },
  }
}

const misnamedDefaultMetrics = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

/**
 * A worker's metrics: every metric listed for `worker` registered up front (so each is in the
 * exposition from the first scrape, with its help text, before anything happened), plus
 * Node's process metrics (CPU, memory, event loop).
 */
export function createWorkerMetrics(worker: MetricWorker, registry: Registry = new Registry()): Metrics {
  const metrics = createMetrics(registry)
  // prom-client samples the event loop's delay with a timer every `eventLoopMonitoringPrecision`
  // ms (default 10): 100 wake-ups a second, ~0.2 % of a core in every worker and kernel with
  // nothing to do (measured: 0.32 % against 0.13 % at 1,000 ms). A tick every 100 ms still
  // records every stall at its full length; nodejs_eventloop_lag_* is just coarser below 100 ms.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 })
  // prom-client names three gauges `_total`, which Prometheus reserves for counters
  // (`promtool check metrics` rejects them); the dashboard does not need them.
  for (const name of misnamedDefaultMetrics) registry.removeSingleMetric(name)
  for (const key of Object.keys(metricDefinitions) as MetricKey[]) {
    const workers: readonly string[] = metricDefinitions[key].workers
    if (workers.includes(worker)) metrics.get(key)
  }
  return metrics
}
