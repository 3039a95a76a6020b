import { expect, it } from 'vitest'
import { metricNamesIn } from '../../support/promql-names'
it('finds the metric names a PromQL expression reads, not its functions, labels, durations or numbers', () => {
  expect(metricNamesIn('histogram_quantile(0.99, sum by (stream, le) (rate(k2_ingest_produce_latency_seconds_bucket[1m])))')).toEqual(['k2_ingest_produce_latency_seconds_bucket'])
  expect(metricNamesIn('(sum by (table) (increase(k2_sink_records_total[10m])) == 0) and on (table) (k2:lake_lag_records:max > 1e6)')).toEqual(['k2_sink_records_total', 'k2:lake_lag_records:max'])
  expect(metricNamesIn('label_replace(sum(rate(k2_bogus_total[5m])), "stage", "ingest", "", "")')).toEqual(['k2_bogus_total'])
})
