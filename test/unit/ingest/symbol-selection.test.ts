import { describe, expect, it } from 'vitest'
import { ErrorCode, isWorkbenchError } from '../../../lib/internal'
import type { ListedSymbol } from '../../../lib/internal'
import { shardOfSymbol } from '../../../lib/internal'
import { feedStreams, selectSymbols } from '../../../lib/internal'

const listed = (symbol: string, status = 'TRADING'): ListedSymbol => ({ symbol, baseAsset: symbol.slice(0, 3), quoteAsset: symbol.slice(3), status })
const listing = [listed('BTCUSDT'), listed('ETHUSDT'), listed('BNBUSDT'), listed('LUNAUSDT', 'BREAK')]
const whole = { index: 0, count: 1 }

function configError(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (isWorkbenchError(err) && err.code === ErrorCode.ConfigInvalid) return err.message
    throw err
  }
  throw new Error('expected a ConfigInvalid error')
}

describe('which symbols the ingest reads', () => {
  it('without a list, every symbol the exchange lists as trading', () => {
    expect([...selectSymbols(listing, [], whole, 'http://x').keys()]).toEqual(['BTCUSDT', 'ETHUSDT', 'BNBUSDT'])
  })

  it('with a list, those symbols, with what the normaliser needs of each', () => {
    const symbols = selectSymbols(listing, ['ETHUSDT'], whole, 'http://x')
    expect([...symbols.keys()]).toEqual(['ETHUSDT'])
    expect(symbols.get('ETHUSDT')).toMatchObject({ symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT' })
  })

  it('refuses symbols the exchange does not list as trading, naming them and the exchange', () => {
    const message = configError(() => selectSymbols(listing, ['BTCUSDT', 'LUNAUSDT', 'NOPEUSDT'], whole, 'http://exchange.test'))
    expect(message).toContain('LUNAUSDT, NOPEUSDT')
    expect(message).toContain('http://exchange.test')
  })

  it('takes only the symbols of its shard, and every symbol lands in exactly one shard', () => {
    const asked = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'XRPUSDT', 'SOLUSDT', 'ADAUSDT']
    const many = asked.map((s) => listed(s))
    const shards = [0, 1].map((index) => [...selectSymbols(many, asked, { index, count: 2 }, 'http://x').keys()])
    expect(shards.every((symbols) => symbols.length > 0)).toBe(true)
    for (const [index, symbols] of shards.entries()) for (const s of symbols) expect(shardOfSymbol(s, 2)).toBe(index)
    expect(shards.flat().sort()).toEqual([...asked].sort())
  })

  it('refuses a shard left with none of the symbols: run fewer shards', () => {
    const empty = [0, 1, 2, 3].find((index) => shardOfSymbol('BTCUSDT', 4) !== index)!
    expect(configError(() => selectSymbols(listing, ['BTCUSDT'], { index: empty, count: 4 }, 'http://x'))).toContain('run fewer shards')
  })
})

describe('the streams subscribed to', () => {
  it('names each stream after its symbol in lower case, per symbol in order', () => {
    expect(feedStreams(['BTCUSDT', 'ETHUSDT'], ['trade', 'bookTicker'])).toEqual(['btcusdt@trade', 'btcusdt@bookTicker', 'ethusdt@trade', 'ethusdt@bookTicker'])
    expect(feedStreams(['BTCUSDT'], ['trade'])).toEqual(['btcusdt@trade'])
  })
})
