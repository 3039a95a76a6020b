import { describe, expect, it } from 'vitest'
import { story, type MetricSample } from '../../../lib/internal'

const sample = (stream: string, value: number, shard = '0'): MetricSample => ({ name: 'k2_ingest_records_total', labels: { stream, shard }, value })

describe('the live ingest rate, from the worker’s own counters', () => {
  it('turns one scrape a second into records/s per stream, summing shards', async () => {
    const counts = [
      [sample('trades', 100), sample('trades', 50, '1'), sample('quotes', 300)],
      [sample('trades', 400), sample('trades', 150, '1'), sample('quotes', 900)],
      [sample('trades', 700), sample('trades', 250, '1'), sample('quotes', 1500), sample('dead', 1)],
    ]
    let i = 0
    let now = 0
    const slept: number[] = []
    const rates = await story.sampleIngestRates(
      { scrape: async () => [...counts[i++]!, { name: 'k2_other_total', labels: { stream: 'trades' }, value: 1e9 }] },
      { seconds: 2, now: () => (now += 1000), sleep: async (ms) => void slept.push(ms) },
    )
    expect(slept).toEqual([1000, 1000])
    expect(rates.map((r) => [r.stream, r.perSecond])).toEqual([
      ['trades', 400],
      ['quotes', 600],
      ['trades', 400],
      ['quotes', 600],
      ['dead', 0],
    ])
    expect(story.meanRatesLine(rates)).toBe('trades: 400/s · quotes: 600/s')
  })

  it('says 0/s for a stream it never saw, and charts what it has', () => {
    expect(story.meanRatesLine([])).toBe('trades: 0/s · quotes: 0/s')
    expect(story.ratesBetween({ atMs: 1000, counts: new Map() }, { atMs: 1000, counts: new Map([['trades', 5]]) })).toEqual([])
    const chart = story.ingestRateChart([{ at: new Date(0), stream: 'trades', perSecond: 3 }])
    expect(chart.title).toBe('Records produced to Kafka per second (live)')
  })
})
