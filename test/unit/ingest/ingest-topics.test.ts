import { describe, expect, it } from 'vitest'
import { ingestTopicSpecs } from '../../../lib/internal'

const base = { trades: 'market.trades', quotes: 'market.quotes', deadLetter: 'market.dead-letter', partitions: 6 }
const byName = (topics: Parameters<typeof ingestTopicSpecs>[0]) => new Map(ingestTopicSpecs(topics).map((s) => [s.topic, s]))

describe('the topics the ingest makes', () => {
  it('without a checkpoint or shedding: the trade, quote and dead-letter topics only', () => {
    expect([...byName(base).keys()]).toEqual(['market.trades', 'market.quotes', 'market.dead-letter'])
  })

  it('makes the deferred topics like the trades topic: a shed record fits wherever its hot twin would', () => {
    const specs = byName({ ...base, deferredTrades: 'market.trades.deferred', deferredQuotes: 'market.quotes.deferred' })
    const trades = specs.get('market.trades')!
    for (const name of ['market.trades.deferred', 'market.quotes.deferred']) expect(specs.get(name)).toEqual({ ...trades, topic: name })
    expect(specs.get('market.trades.deferred')!.partitions).toBe(6)
  })

  it('makes the checkpoint one compacted partition, apart from the market topics', () => {
    const specs = byName({ ...base, checkpoint: 'ingest.checkpoint' })
    const checkpoint = specs.get('ingest.checkpoint')!
    expect(checkpoint.partitions).toBe(1)
    expect(checkpoint.config?.['cleanup.policy']).toBe('compact')
    expect(specs.get('market.trades')!.config?.['cleanup.policy']).toBeUndefined()
  })
})
