import { describe, expect, it } from 'vitest'
import { cellText, tableBundle } from '../../../lib/internal'

describe('query results as tables', () => {
  const rows = [
    { symbol: 'BTCUSDT', trade_id: 9007199254740993n, price: '97000.12345678', time: new Date(Date.UTC(2026, 11, 2, 12, 0, 0, 5)), note: '<b>&' },
    { symbol: 'ETHUSDT', trade_id: 2n, price: '3000.00000000', time: new Date(Date.UTC(2026, 11, 2, 12, 0, 1)), note: null },
  ]

  it('keeps exact ids and decimals, prints UTC times, escapes HTML', () => {
    const html = tableBundle(rows)['text/html']!
    expect(html).toContain('>9007199254740993<')
    expect(html).toContain('>97000.12345678<')
    expect(html).toContain('>2026-12-02 12:00:00.005<')
    expect(html).toContain('&#60;b&#62;&#38;')
    expect(html).not.toContain('<b>&')
  })

  it('right-aligns numeric columns only', () => {
    const html = tableBundle(rows)['text/html']!
    expect(html).toMatch(/<th style="text-align:right">trade_id<\/th>/)
    expect(html).toMatch(/<th style="text-align:right">price<\/th>/)
    expect(html).toMatch(/<th style="text-align:left">symbol<\/th>/)
  })

  it('shows the first rows and says how many there were', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ i }))
    const b = tableBundle(many, { maxRows: 5, caption: 'ids' })
    expect((b['text/html']!.match(/<tr>/g) ?? []).length).toBe(6) // header + 5
    expect(b['text/html']).toContain('ids · 50 rows, first 5 shown')
    expect(b['text/plain'].split('\n')).toHaveLength(2 + 5 + 1)
  })

  it('takes columns in the order given, and an empty result', () => {
    expect(tableBundle(rows, { columns: ['price', 'symbol'] })['text/plain'].split('\n')[0]).toMatch(/^\s*price\s+symbol$/)
    expect(tableBundle([])['text/plain']).toContain('0 rows')
  })

  it('prints cells exactly', () => {
    expect([cellText(null), cellText(1.23456789), cellText(10), cellText({ a: 1n })]).toEqual(['', '1.23457', '10', '{"a":"1"}'])
  })
})
