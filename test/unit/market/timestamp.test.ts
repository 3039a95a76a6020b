import { describe, expect, it } from 'vitest'
import { Timestamp, isoMicros, microsOf, parseIsoMicros } from '../../../lib/internal'

describe('Timestamp: an instant to the µs that is still a Date', () => {
  it('keeps the µs, answers as a Date to the ms (floor), and writes all six digits to JSON', () => {
    const t = new Timestamp(1_764_877_514_123_456n)
    expect(t).toBeInstanceOf(Date)
    expect(t.getTime()).toBe(1_764_877_514_123)
    expect(t.micros).toBe(1_764_877_514_123_456n)
    expect(JSON.stringify({ t })).toBe('{"t":"2025-12-04T19:45:14.123456Z"}')
  })

  it.each([
    [0n, '1970-01-01T00:00:00.000000Z'],
    [1n, '1970-01-01T00:00:00.000001Z'],
    [-1n, '1969-12-31T23:59:59.999999Z'],
    [999n, '1970-01-01T00:00:00.000999Z'],
    [1_000n, '1970-01-01T00:00:00.001000Z'],
  ])('isoMicros(%s) = %s, and parses back', (micros, iso) => {
    expect(isoMicros(micros)).toBe(iso)
    expect(parseIsoMicros(iso).micros).toBe(micros)
  })

  it('reads a zone, a date alone as midnight UTC, and drops digits past the µs', () => {
    expect(parseIsoMicros('2026-11-22T10:00:00.123456+01:00').toJSON()).toBe('2026-11-22T09:00:00.123456Z')
    expect(parseIsoMicros('2026-11-22T10:00:00-0230').toJSON()).toBe('2026-11-22T12:30:00.000000Z')
    expect(parseIsoMicros('2026-11-22').toJSON()).toBe('2026-11-22T00:00:00.000000Z')
    expect(parseIsoMicros('2026-11-22T10:00:00.123456789Z').micros % 1_000_000n).toBe(123_456n)
    expect(parseIsoMicros('2026-11-22T10:00Z').toJSON()).toBe('2026-11-22T10:00:00.000000Z')
  })

  it('refuses a time without a zone, and impossible dates', () => {
    expect(() => parseIsoMicros('2026-11-22T10:00:00')).toThrow(/no time zone: add Z/)
    expect(() => parseIsoMicros('2026-02-30')).toThrow(/not a valid calendar time/)
    expect(() => parseIsoMicros('2026-11-22T24:00:00Z')).toThrow(/not a valid calendar time/)
    expect(() => parseIsoMicros('yesterday')).toThrow(/not an ISO 8601 time/)
  })

  it('microsOf: exact for a Timestamp, ms × 1000 for a plain Date', () => {
    expect(microsOf(new Timestamp(5n))).toBe(5n)
    expect(microsOf(new Date(7))).toBe(7000n)
  })
})
