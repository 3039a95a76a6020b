import { describe, expect, it } from 'vitest'
import { checkRange, checkSymbol, parseInterval } from '../../../lib/internal'

describe('analytics input', () => {
  it.each([
    ['1s', 1_000_000n],
    ['1m', 60_000_000n],
    ['15m', 900_000_000n],
    ['4h', 14_400_000_000n],
    ['1d', 86_400_000_000n],
    [60_000, 60_000_000n],
  ] as const)('reads the bar interval %s as %s µs', (text, micros) => {
    expect(parseInterval(text)).toBe(micros)
  })

  it.each(['', '0s', '1w', '1.5m', '-1m', '8d', '1m; DROP', 999, 1500])('refuses the bar interval %j', (bad) => {
    expect(() => parseInterval(bad as string)).toThrow(expect.objectContaining({ code: 'QUERY_INVALID' }))
  })

  it('upper-cases symbols and refuses anything but letters and digits', () => {
    expect(checkSymbol('btcusdt')).toBe('BTCUSDT')
    for (const bad of ['', 'BTC USDT', "BTC'--", 'A'.repeat(21), 42, null]) expect(() => checkSymbol(bad)).toThrow(/symbol/)
  })

  it('wants from before to, both valid', () => {
    const t = new Date(Date.UTC(2026, 10, 22))
    expect(checkRange({ from: t, to: new Date(t.getTime() + 1) })).toBeTruthy()
    expect(() => checkRange({ from: t, to: t })).toThrow(/before/)
    expect(() => checkRange({ from: new Date('nope'), to: t })).toThrow(/from/)
  })
})
