import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { metricDefinitions, type MetricKey } from './metric-names'

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
