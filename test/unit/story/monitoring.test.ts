import { describe, expect, it } from 'vitest'
import { story, type WorkbenchConfig } from '../../../lib/internal'

const waitFor = async <T>(_what: string, check: () => Promise<T | undefined>): Promise<T> => {
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
  }
}

describe('the monitoring section', () => {
  it("reads the commit latency from the sink's whole histogram once Prometheus has seen a commit", async () => {
    const queries: string[] = []
    let counts = 0
    const stack = {
      config: { sink: { namespace: 'market' } } as WorkbenchConfig,
      waitFor,
      promQuery: async (expr: string) => {
        queries.push(expr)
        if (expr.startsWith('sum(')) return ++counts < 2 ? [] : [{ labels: {}, value: 12 }]
        return [{ labels: {}, value: expr.includes('(0.5,') ? 0.81 : 2.4 }]
      },
    }
    const c = await story.readCommitLatency(stack, 'trades')
    expect(c).toEqual({ table: 'market.trades', commits: 12, p50Seconds: 0.81, p99Seconds: 2.4 })
    expect(queries).toContain('histogram_quantile(0.99, sum by (le) (k2_sink_commit_latency_seconds_bucket{table="trades"}))')
    expect(story.commitLatencyLine(c)).toBe('commit latency to market.trades since the sink started (12 commits; flush start to snapshot committed): p50 810 ms, p99 2400 ms (histogram bucket bounds)')
    expect(story.commitLatencyLine({ ...c, p99Seconds: Number.NaN, p50Seconds: undefined })).toContain('p50 n/a, p99 n/a')
  })

  it('asks Prometheus for the ingest rate and the lake lag by the metric names lib defines', async () => {
    const asked: Array<[string, number]> = []
    const at = new Date(0)
    const m = await story.readMonitoring({ promRange: async (expr, minutes) => (asked.push([expr, minutes]), [{ labels: { stream: 'trades', table: 'trades' }, at, value: 812.4 }]) }, 2)
    expect(asked).toEqual([
      ['sum by (stream) (rate(k2_ingest_records_total[30s]))', 2],
      ['max by (table) (k2_sink_lag_seconds)', 2],
    ])
    expect(m.ingestRate).toEqual([{ at, stream: 'trades', perSecond: 812 }])
    expect(m.lakeLag).toEqual([{ at, table: 'trades', seconds: 812.4 }])
  })

  it('lists scrape targets by job, up or not', () => {
    expect(story.scrapeTargetRows([{ labels: { job: 'ingest', instance: 'h:9101' }, value: 1 }, { labels: { instance: 'h:9102' }, value: 0 }])).toEqual([
      { target: 'ingest', instance: 'h:9101', up: 'yes' },
      { target: 'h:9102', instance: 'h:9102', up: 'no' },
    ])
  })
})
