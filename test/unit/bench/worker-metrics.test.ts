import { describe, expect, it } from 'vitest'
import { parseExposition } from '../../../lib/internal'
import { declaredMetrics, fromWorkerMetrics, type WorkerExposition } from '../../../bench/soak/worker-metrics'

const exposition = (text: string): WorkerExposition => ({ samples: parseExposition(text), declared: declaredMetrics(text) })

const ingest = `# HELP k2_degrade_level Degradation level
# TYPE k2_degrade_level gauge
k2_degrade_level{worker="ingest"} 1
# TYPE k2_ingest_records_total counter
k2_ingest_records_total{stream="trades"} 1200
k2_ingest_records_total{stream="quotes"} 1400
k2_ingest_records_total{stream="dead_letter"} 3
# TYPE k2_degrade_shed_records_total counter
# TYPE k2_degrade_transitions_total counter
k2_degrade_transitions_total{worker="ingest",from="NORMAL",to="SOFT"} 2
k2_degrade_transitions_total{worker="ingest",from="AGGRESSIVE",to="CIRCUIT_BREAK"} 1
# TYPE k2_degrade_signal gauge
k2_degrade_signal{worker="ingest",signal="lagSeconds"} 12.5
`
const sink = `# TYPE k2_degrade_level gauge
k2_degrade_level{worker="iceberg-sink"} 0
# TYPE k2_sink_lag_seconds gauge
k2_sink_lag_seconds{table="trades"} 21
k2_sink_lag_seconds{table="quotes"} 24
# TYPE k2_sink_commit_latency_seconds histogram
k2_sink_commit_latency_seconds_bucket{le="1",table="trades"} 1
k2_sink_commit_latency_seconds_bucket{le="+Inf",table="trades"} 3
k2_sink_commit_latency_seconds_count{table="trades"} 3
k2_sink_commit_latency_seconds_bucket{le="1",table="quotes"} 2
k2_sink_commit_latency_seconds_bucket{le="+Inf",table="quotes"} 2
k2_sink_commit_latency_seconds_count{table="quotes"} 2
`

describe('fromWorkerMetrics', () => {
  const m = fromWorkerMetrics({ ingest: exposition(ingest), 'iceberg-sink': exposition(sink) })

  it('reads levels, the worst table\'s lag, and the hot-topic records (not dead letters)', () => {
    expect(m.level).toEqual({ ingest: 1, sink: 0 })
    expect(m.lakeLagSeconds).toBe(24)
    expect(m.counters.records).toBe(2600)
  })

  it('reads a declared counter with no series as 0, and one no worker exports as absent', () => {
    expect(m.counters.shed).toBe(0)
    expect(m.counters.feedPauses).toBeUndefined()
    expect(m.counters.circuitBreaks).toBe(1)
  })

  it('reads the signal gauge when a worker exports it', () => {
    expect(m.signals).toEqual({ ingest: { lagSeconds: 12.5 } })
  })

  it('sums the commit latency histogram over tables and counts trades commits alone', () => {
    expect(m.counters.tradeCommits).toBe(3)
    expect(m.counters.commitLatency).toEqual({ le: [1, Infinity], counts: [3, 5] })
  })

  it('leaves everything undefined for a worker that did not answer', () => {
    const none = fromWorkerMetrics({})
    expect(none.level).toEqual({ ingest: undefined, sink: undefined })
    expect(none.counters.shed).toBeUndefined()
    expect(none.lakeLagSeconds).toBeUndefined()
  })
})
