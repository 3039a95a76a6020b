/**
 * The synthetic market's listing: the real Binance pairs first, in rough order of activity, then
 * plausible generated ones drawn from the seed, each with a tick that gives its price at least
 * ~150 ticks and a lot that keeps price × quantity within 8 decimals. Pure.
 */
import type { Instrument } from './market-events'
import type { SeededRandom } from './seeded-random'

/** Real Binance pairs in rough order of activity: base, quote, price, tick decimals, lot decimals. */
const listed: ReadonlyArray<readonly [string, string, number, number, number]> = [
  ['BTC', 'USDT', 67_000, 2, 5],
  ['ETH', 'USDT', 3_400, 2, 4],
  ['SOL', 'USDT', 150, 2, 3],
  ['BTC', 'FDUSD', 67_000, 2, 5],
  ['DOGE', 'USDT', 0.12, 5, 0],
  ['XRP', 'USDT', 0.52, 4, 1],
  ['PEPE', 'USDT', 0.0000098, 8, 0],
  ['BNB', 'USDT', 580, 2, 3],
  ['SUI', 'USDT', 1.1, 4, 1],
  ['ETH', 'FDUSD', 3_400, 2, 4],
  ['WIF', 'USDT', 2.2, 3, 2],
  ['ADA', 'USDT', 0.45, 4, 1],
  ['LINK', 'USDT', 14, 2, 2],
  ['AVAX', 'USDT', 28, 2, 2],
  ['TRX', 'USDT', 0.12, 4, 1],
  ['ENA', 'USDT', 0.4, 4, 1],
  ['SHIB', 'USDT', 0.0000175, 8, 0],
  ['LTC', 'USDT', 72, 2, 3],
  ['ETH', 'BTC', 0.0507, 5, 3],
  ['NEAR', 'USDT', 5.2, 3, 1],
  ['FET', 'USDT', 1.3, 4, 1],
  ['SOL', 'FDUSD', 150, 2, 3],
  ['BCH', 'USDT', 380, 1, 3],
  ['DOT', 'USDT', 6.5, 3, 2],
  ['UNI', 'USDT', 7.5, 3, 2],
  ['APT', 'USDT', 7.8, 3, 2],
  ['ARB', 'USDT', 0.75, 4, 1],
  ['OP', 'USDT', 1.7, 3, 2],
  ['TON', 'USDT', 5.5, 3, 2],
  ['BONK', 'USDT', 0.000021, 8, 0],
  ['FLOKI', 'USDT', 0.00013, 8, 0],
  ['WLD', 'USDT', 2.1, 3, 2],
  ['FIL', 'USDT', 4.1, 3, 2],
  ['ATOM', 'USDT', 6.8, 3, 2],
  ['ETC', 'USDT', 22, 2, 2],
  ['XLM', 'USDT', 0.095, 5, 0],
  ['ICP', 'USDT', 8.5, 3, 2],
  ['INJ', 'USDT', 21, 2, 2],
  ['RENDER', 'USDT', 6.5, 3, 2],
  ['TIA', 'USDT', 6, 3, 2],
  ['SEI', 'USDT', 0.35, 4, 1],
  ['AAVE', 'USDT', 140, 2, 3],
  ['BNB', 'FDUSD', 580, 2, 3],
  ['XRP', 'FDUSD', 0.52, 4, 1],
  ['DOGE', 'FDUSD', 0.12, 5, 0],
  ['SOL', 'BTC', 0.0022, 7, 1],
  ['BNB', 'BTC', 0.0087, 6, 2],
  ['MKR', 'USDT', 2_300, 1, 4],
  ['LDO', 'USDT', 1.6, 3, 2],
  ['HBAR', 'USDT', 0.07, 5, 0],
  ['JUP', 'USDT', 0.9, 4, 1],
  ['ORDI', 'USDT', 30, 2, 2],
  ['VET', 'USDT', 0.025, 5, 0],
  ['ALGO', 'USDT', 0.15, 4, 0],
  ['GRT', 'USDT', 0.17, 4, 0],
  ['IMX', 'USDT', 1.4, 4, 1],
  ['STX', 'USDT', 1.6, 4, 1],
  ['RUNE', 'USDT', 4.5, 3, 2],
  ['SAND', 'USDT', 0.3, 4, 0],
  ['MANA', 'USDT', 0.3, 4, 0],
  ['AXS', 'USDT', 5.5, 3, 2],
  ['GALA', 'USDT', 0.022, 5, 0],
  ['CRV', 'USDT', 0.3, 4, 1],
  ['DYDX', 'USDT', 1.3, 3, 2],
  ['EOS', 'USDT', 0.55, 4, 1],
  ['XRP', 'BTC', 0.0000078, 8, 0],
  ['LINK', 'BTC', 0.00021, 7, 1],
  ['ADA', 'BTC', 0.0000067, 8, 0],
  ['LTC', 'BTC', 0.00107, 6, 2],
  ['DOGE', 'BTC', 0.0000018, 8, 0],
]

const syllables = ['ZO', 'RA', 'KI', 'NEX', 'VO', 'LU', 'QUA', 'TOR', 'MI', 'SA', 'XI', 'PO', 'DRA', 'VEL', 'KA', 'RI', 'ON', 'FY', 'GLO', 'BIT', 'NO', 'ZEN', 'HY', 'LAR']

/** BTC's dollar price the model assumes, to price pairs quoted in BTC. */
export const btcUsd = 67_000

/** An instrument with the model's opening price (in its quote asset) and its rank by activity. */
export interface InstrumentSpec extends Instrument {
  readonly price: number
  readonly rank: number
}

/** Builds `count` instruments: the listed pairs first, then plausible generated ones. */
export function buildInstruments(count: number, rng: SeededRandom): InstrumentSpec[] {
  const out: InstrumentSpec[] = []
  const taken = new Set<string>()
  const bases = new Set(listed.map(([b]) => b))
  for (const [baseAsset, quoteAsset, price, priceDecimals, qtyDecimals] of listed) {
    if (out.length >= count) break
    const symbol = baseAsset + quoteAsset
    taken.add(symbol)
    out.push({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals, price, rank: out.length })
  }
  while (out.length < count) {
    const parts = 2 + (rng.float() < 0.25 ? 1 : 0)
    let baseAsset = ''
    for (let i = 0; i < parts; i++) baseAsset += syllables[rng.int(syllables.length)]!
    baseAsset = baseAsset.slice(0, 6)
    if (bases.has(baseAsset)) continue
    const r = rng.float()
    const quoteAsset = r < 0.88 ? 'USDT' : r < 0.95 ? 'BTC' : 'FDUSD'
    const symbol = baseAsset + quoteAsset
    if (taken.has(symbol)) continue
    taken.add(symbol)
    bases.add(baseAsset)
    // Log-uniform dollar price: $0.00001 … $200, or $0.1 … $200 against BTC (at least ~150 ticks).
    const usd = quoteAsset === 'BTC' ? 10 ** (-1 + rng.float() * 3.3) : 10 ** (-5 + rng.float() * 7.3)
    const price = quoteAsset === 'BTC' ? usd / btcUsd : usd
    const priceDecimals = clamp(4 - Math.floor(Math.log10(price)), 0, 8)
    const qtyDecimals = clamp(Math.floor(Math.log10(price)) + 1, 0, 8 - priceDecimals)
    out.push({ symbol, baseAsset, quoteAsset, priceDecimals, qtyDecimals, price, rank: out.length })
  }
  return out
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
