import { describe, expect, it } from 'vitest'
import { createSeededRandom } from '../../../lib/internal'
import { buildInstruments } from '../../../lib/internal'

describe('synthetic instruments', () => {
  it('lists the real pairs first, busiest first, and stops where it is told', () => {
    const few = buildInstruments(3, createSeededRandom(1))
    expect(few.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'])
    expect(few.map((i) => i.rank)).toEqual([0, 1, 2])
    expect(buildInstruments(1, createSeededRandom(1))).toHaveLength(1)
  })

  it('fills up to 2,000 with generated pairs: unique symbols, each its base and quote, in USDT, BTC or FDUSD', () => {
    const all = buildInstruments(2000, createSeededRandom(9))
    expect(all).toHaveLength(2000)
    expect(new Set(all.map((i) => i.symbol)).size).toBe(2000)
    expect(new Set(all.map((i) => i.baseAsset + '/' + i.quoteAsset)).size).toBe(2000)
    for (const i of all) {
      expect(i.symbol).toBe(i.baseAsset + i.quoteAsset)
      expect(['USDT', 'BTC', 'FDUSD']).toContain(i.quoteAsset)
    }
    expect(all.map((i) => i.rank)).toEqual(all.map((_, n) => n))
  })

  it('gives every generated price at least ~150 ticks and keeps price × quantity within 8 decimals', () => {
    const all = buildInstruments(1000, createSeededRandom(4))
    const generated = all.slice(70)
    for (const i of generated) {
      expect(i.price / 10 ** -i.priceDecimals, i.symbol).toBeGreaterThanOrEqual(149)
      expect(i.priceDecimals + i.qtyDecimals, i.symbol).toBeLessThanOrEqual(8)
      expect(i.qtyDecimals).toBeGreaterThanOrEqual(0)
    }
  })

  it('draws the same listing from the same seed, and another from another', () => {
    const symbols = (seed: number): string[] => buildInstruments(300, createSeededRandom(seed)).map((i) => i.symbol)
    expect(symbols(3)).toEqual(symbols(3))
    expect(symbols(3)).not.toEqual(symbols(4))
  })
})
