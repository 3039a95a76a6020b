import { describe, expect, it } from 'vitest'
import { quoteType, toAvroQuote, toAvroTrade, tradeType } from '../../../lib/internal'
import { writeQuoteV2, writeTradeV2 } from '../../../lib/internal'
import { decodeQuote, decodeTrade } from '../../../lib/internal'
import type { Quote, Trade } from '../../../lib/internal'
import { prng } from '../../support/prng'

/** The avsc record for a trade, written the slow, reference way. */
const reference = (t: Trade): Buffer => tradeType.toBuffer(toAvroTrade(t))

describe('writeTradeV2 and writeQuoteV2 (the hot-path writers)', () => {
  const random = prng(99)
  const int = (max: number): number => Math.floor(random() * max)
  const bigint = (): bigint => {
    const magnitudes = [0n, 1n, 63n, 64n, 127n, 128n, 2n ** 31n, 2n ** 52n - 1n, 2n ** 52n, 2n ** 53n + 7n, 2n ** 62n, 2n ** 63n - 1n]
    const base = random() < 0.5 ? magnitudes[int(magnitudes.length)]! : BigInt(int(2 ** 31)) * BigInt(int(2 ** 31))
    const value = random() < 0.2 ? -base : base
    return value < -(2n ** 63n) ? -(2n ** 63n) : value
  }
  const text = (): string => {
    const alphabets = ['abcXYZ09', 'ünïcødé', '数据交易', '🙂🚀', ' \t"\\']
    const a = alphabets[int(alphabets.length)]!
    const chars = [...a]
    return Array.from({ length: int(random() < 0.05 ? 3000 : 40) }, () => chars[int(chars.length)]).join('')
  }
  const decimal = (intDigits: number): string => `${int(10 ** Math.min(intDigits, 9))}${random() < 0.3 ? '7'.repeat(int(intDigits - 9 > 0 ? intDigits - 9 : 1)) : ''}.${String(int(1e8)).padStart(8, '0')}`.replace(/^0+(?=\d)/, '')

  it('writes the same bytes as avsc for 5 000 random trades', () => {
    for (let i = 0; i < 5000; i++) {
      const t: Trade = {
        messageId: text(),
        tradeId: bigint(),
        symbol: text(),
        exchange: text(),
        assetClass: 'crypto',
        timestampMicros: bigint(),
        price: decimal(10),
        quantity: decimal(20),
        currency: text(),
        side: random() < 0.5 ? 'BUY' : 'SELL',
        tradeConditions: Array.from({ length: int(3) }, text),
        sourceSequence: bigint(),
        ingestionTimestampMicros: bigint(),
        platformSequence: bigint(),
        vendorData: Object.fromEntries(Array.from({ length: int(4) }, () => [text(), text()])),
      }
      const fast = writeTradeV2(t)
      expect(fast.equals(reference(t)), `trade ${i}`).toBe(true)
      expect(decodeTrade(fast).tradeId).toBe(t.tradeId)
    }
  })

  it('writes the same bytes as avsc for 5 000 random quotes', () => {
    for (let i = 0; i < 5000; i++) {
      const q: Quote = {
        messageId: text(),
        updateId: bigint(),
        symbol: text(),
        exchange: text(),
        assetClass: 'crypto',
        timestampMicros: bigint(),
        bidPrice: decimal(10),
        bidSize: decimal(20),
        askPrice: decimal(10),
        askSize: decimal(20),
        currency: text(),
        ingestionTimestampMicros: bigint(),
        platformSequence: bigint(),
        vendorData: Object.fromEntries(Array.from({ length: int(4) }, () => [text(), text()])),
      }
      const fast = writeQuoteV2(q)
      expect(fast.equals(quoteType.toBuffer(toAvroQuote(q))), `quote ${i}`).toBe(true)
      expect(decodeQuote(fast)).toEqual(decodeQuote(quoteType.toBuffer(toAvroQuote(q))))
    }
  })

  it('refuses what the schema refuses', () => {
    const ok: Trade = { messageId: 'm', tradeId: 1n, symbol: 'S', exchange: 'E', assetClass: 'crypto', timestampMicros: 1n, price: '1.0', quantity: '1.0', currency: 'U', side: 'BUY', tradeConditions: [], sourceSequence: 1n, ingestionTimestampMicros: 1n, platformSequence: 1n, vendorData: {} }
    expect(() => writeTradeV2({ ...ok, tradeId: 2n ** 63n })).toThrow(/not an Avro long/)
    expect(() => writeTradeV2({ ...ok, side: 'HOLD' as never })).toThrow(/not BUY or SELL/)
    expect(() => writeTradeV2({ ...ok, price: '1.123456789' })).toThrow()
    const quote: Quote = { messageId: 'm', updateId: 1n, symbol: 'S', exchange: 'E', assetClass: 'crypto', timestampMicros: 1n, bidPrice: '1.0', bidSize: '1.0', askPrice: '1.0', askSize: '1.0', currency: 'U', ingestionTimestampMicros: 1n, platformSequence: 1n, vendorData: {} }
    expect(() => writeQuoteV2({ ...quote, updateId: -(2n ** 63n) - 1n })).toThrow(/not an Avro long/)
    expect(() => writeQuoteV2({ ...quote, askSize: '1e3' })).toThrow()
    expect(() => writeQuoteV2({ ...quote, symbol: 5 as never })).toThrow(/expected a string/)
  })
})
