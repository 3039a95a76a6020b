import { describe, expect, it } from 'vitest'
import { createMetrics, silentLogger } from '../../../lib/internal'
import type { IngestDegradation } from '../../../lib/internal'
import { createFeedGate } from '../../../lib/internal'
import { createIngestOutput } from '../../../lib/internal'
import type { BatchSender, OutgoingRecord } from '../../../lib/internal'
import type { Quote, Trade } from '../../../lib/internal'

const topics = { trades: 't.trades', quotes: 't.quotes', deadLetter: 't.dlq', partitions: 1, checkpoint: 't.checkpoint', deferredTrades: 't.trades.deferred', deferredQuotes: 't.quotes.deferred' }

const trade = (symbol: string, id: number): Omit<Trade, 'platformSequence'> => ({
  messageId: `BINANCE:${symbol}:${id}`,
  tradeId: BigInt(id),
  symbol,
  exchange: 'BINANCE',
  assetClass: 'crypto',
  timestampMicros: 1n,
  price: '1.00000000',
  quantity: '1.00000000',
  currency: 'USDT',
  side: 'BUY',
  tradeConditions: [],
  sourceSequence: BigInt(id),
  ingestionTimestampMicros: 1n,
  vendorData: {},
})
const quote = (symbol: string, updateId: number) => ({ symbol, updateId: BigInt(updateId) }) as unknown as Omit<Quote, 'platformSequence'>

/**
 * A sender that records every send (a send is one Kafka transaction). Held: each send waits for
 * `ack()`; otherwise it is acknowledged a moment later.
 */
function recordingSender(held: boolean) {
  const sends: Array<ReadonlyArray<OutgoingRecord<unknown>>> = []
  const waiting: Array<() => void> = []
  const sender: BatchSender = {
    transactional: true,
    send: (records) => {
      sends.push(records)
      return new Promise<void>((resolve) => (held ? waiting.push(resolve) : setTimeout(resolve, 1)))
    },
    close: async () => {},
  }
  const ack = async (): Promise<void> => {
    for (const resolve of waiting.splice(0)) resolve()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { sender, sends, ack }
}

/** Levels fixed by the test: `shed` symbols go to the deferred topics with tier 3. */
function fixedLevel(shed: string[] = []): IngestDegradation & { worst: number[] } {
  const worst: number[] = []
  return {
    worst,
    batchScale: () => 1,
    shedTier: (symbol, deferred) => (deferred !== undefined && shed.includes(symbol) ? 3 : undefined),
    tradeProduced: () => {},
    tradeRead: () => {},
    produceLatency: (s) => void worst.push(s),
    transitions: () => [],
    stopLevels: () => {},
    close: async () => {},
  }
}

function setUp(options: { shed?: string[]; highWater?: number; held?: boolean } = {}) {
  const { sender, sends, ack } = recordingSender(options.held ?? false)
  const gate = createFeedGate(options.highWater ?? 1e9, () => {})
  const feed = { paused: false, pause: () => (feed.paused = true), resume: () => (feed.paused = false) }
  gate.attach(feed)
  const degradation = fixedLevel(options.shed)
  const encoder = {
    encodeTrade: (t: Trade) => Buffer.from(`${t.symbol}:${t.tradeId}:${t.platformSequence}`),
    encodeQuote: (q: Quote) => Buffer.from(`${q.symbol}:${q.updateId}:${q.platformSequence}`),
  }
  const metrics = createMetrics()
  const failures: unknown[] = []
  const output = createIngestOutput(sender, { exchange: 'BINANCE', topics, batchMaxRecords: 1000, lingerMs: 0, compression: 'none' }, { encoder, gate, degradation, logger: silentLogger, metrics, onFailure: (e) => failures.push(e) })
  return { output, sends, ack, feed, degradation, metrics }
}
const sequenceOf = (r: OutgoingRecord<unknown>): bigint => BigInt(r.value.toString().split(':')[2]!)
const settle = () => new Promise((r) => setTimeout(r, 5))

describe('the ingest output to Kafka', () => {
  it('sends each batch with the checkpoint of its own trades in the same transaction: the highest id per symbol', async () => {
    const { output, sends } = setUp()
    output.trade(trade('BTCUSDT', 7))
    output.trade(trade('ETHUSDT', 3))
    output.trade(trade('BTCUSDT', 8))
    output.quote(quote('BTCUSDT', 99), 1n)
    await output.flush()
    // Each send (one transaction) names the highest id of each symbol among its own trades.
    for (const send of sends) {
      const highest = new Map<string, string>()
      for (const r of send.filter((r) => r.topic === 't.trades')) {
        const [symbol, id] = r.value.toString().split(':') as [string, string]
        if (BigInt(id) > BigInt(highest.get(symbol) ?? -1)) highest.set(symbol, id)
      }
      const named = new Map(send.filter((r) => r.topic === 't.checkpoint').map((r) => [r.key!, JSON.parse(r.value.toString()).trade_id as string]))
      expect(named).toEqual(highest)
    }
    // What a restart reads (the compacted topic keeps the last per symbol): the last trade of each.
    const last = new Map(sends.flat().filter((r) => r.topic === 't.checkpoint').map((r) => [r.key!, JSON.parse(r.value.toString()).trade_id as string]))
    expect(last).toEqual(new Map([['BTCUSDT', '8'], ['ETHUSDT', '3']]))
  })

  it('numbers trades and quotes with one strictly increasing platform sequence', async () => {
    const { output, sends } = setUp()
    output.trade(trade('BTCUSDT', 1))
    output.quote(quote('BTCUSDT', 1), 1n)
    output.trade(trade('ETHUSDT', 1))
    await output.flush()
    const sequences = sends.flat().filter((r) => r.topic !== 't.checkpoint').map(sequenceOf)
    expect(sequences).toHaveLength(3)
    for (let i = 1; i < sequences.length; i++) expect(sequences[i]! > sequences[i - 1]!).toBe(true)
  })

  it('sends the records of shed symbols to the deferred topics with their tier, counted as shed once acknowledged', async () => {
    const { output, sends, ack } = setUp({ shed: ['DOGEUSDT'], held: true })
    output.trade(trade('DOGEUSDT', 1))
    output.quote(quote('DOGEUSDT', 1), 1n)
    output.trade(trade('BTCUSDT', 1))
    await settle()
    expect(output.report().shed).toEqual({ trades: 0, quotes: 0 })
    while (output.report().trades + output.report().quotes < 3) await ack()
    const doge = sends.flat().filter((r) => r.key === 'DOGEUSDT' && r.topic !== 't.checkpoint')
    expect(doge.map((r) => [r.topic, r.headers?.['k2-tier']])).toEqual([['t.trades.deferred', '3'], ['t.quotes.deferred', '3']])
    expect(sends.flat().find((r) => r.key === 'BTCUSDT' && r.topic !== 't.checkpoint')?.topic).toBe('t.trades')
    expect(output.report()).toMatchObject({ trades: 2, quotes: 1, shed: { trades: 1, quotes: 1 } })
  })

  it('sends a dead letter with its reason, source and raw text, logged and counted by reason', async () => {
    const { output, sends, metrics } = setUp()
    output.deadLetter('{"e":"trade","p":"0"}', 'non_positive', 'x'.repeat(600), 42n, 'ws', 'BTCUSDT')
    await output.flush()
    const [letter] = sends.flat()
    expect(letter).toMatchObject({ topic: 't.dlq', key: 'BTCUSDT', headers: { reason: 'non_positive', source: 'ws', exchange: 'BINANCE', received_at_us: '42' } })
    expect(letter!.value.toString()).toBe('{"e":"trade","p":"0"}')
    expect(letter!.headers!.detail).toHaveLength(500)
    const counted = await metrics.get('ingestDeadLetters').get()
    expect(counted.values.find((v) => v.labels.reason === 'non_positive')?.value).toBe(1)
    expect(output.report().deadLetters).toBe(1)
  })

  it('pauses the feed while Kafka is behind and reads again once half of what waits is acknowledged', async () => {
    const { output, ack, feed } = setUp({ highWater: 30, held: true })
    output.trade(trade('BTCUSDT', 1)) // one value is about 26 bytes: under the high water; two are over it
    expect(feed.paused).toBe(false)
    output.trade(trade('BTCUSDT', 2))
    expect(feed.paused).toBe(true)
    await settle()
    await ack() // the first value acknowledged: one still waits, above half the high water
    expect(feed.paused).toBe(true)
    await settle()
    await ack()
    expect(feed.paused).toBe(false)
  })

  it('tells the degradation level the worst latency of each acknowledged batch', async () => {
    const { output, degradation } = setUp()
    output.trade(trade('BTCUSDT', 1))
    await output.flush()
    expect(degradation.worst).toHaveLength(1)
    expect(degradation.worst[0]).toBeGreaterThan(0)
  })
})
