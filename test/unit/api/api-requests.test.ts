import { describe, expect, it } from 'vitest'
import { barsRequest, parseTime, recentRequest, snapshotsRequest, tradesRequest } from '../../../lib/internal'
import { jsonSafe, jsonText } from '../../../lib/internal'
import { stringifyJson } from '../../../lib/internal'

const limits = { maxRows: 5000, maxRangeMs: 31 * 86_400_000 }
const q = (s: string): URLSearchParams => new URLSearchParams(s)

describe('API requests', () => {
  it('reads a trades request with its defaults and limits', () => {
    const r = tradesRequest(q('symbol=ethusdt&from=2026-11-22T00:00:00Z&to=1795392000000&order=desc'), limits)
    expect(r).toMatchObject({ symbol: 'ETHUSDT', limit: 1000, order: 'desc' })
    expect(r.from.toISOString()).toBe('2026-11-22T00:00:00.000Z')
    expect(tradesRequest(q('symbol=BTCUSDT&snapshot_id=-9223372036854775808'), limits).snapshotId).toBe(-(2n ** 63n))
  })

  it.each([
    ['', /symbol is required/],
    ['symbol=BTCUSDT&symbol=ETHUSDT', /more than once/],
    ['symbol=BTCUSDT&evil=1', /unknown parameter "evil"/],
    ['symbol=BTC%27--', /symbol/],
    ['symbol=BTCUSDT&limit=0', /limit=0 is outside 1 to 5000/],
    ['symbol=BTCUSDT&limit=5001', /outside/],
    ['symbol=BTCUSDT&limit=1e3', /not a whole number/],
    ['symbol=BTCUSDT&from=yesterday', /from=.*not an ISO 8601 time/],
    ['symbol=BTCUSDT&from=2026-11-22T10:00:00', /from=.*no time zone: add Z/],
    ['symbol=BTCUSDT&from=2026-11-22&to=2026-11-21', /before/],
    ['symbol=BTCUSDT&from=2026-01-01&to=2026-11-21', /wider than the API's 31 days/],
    ['symbol=BTCUSDT&order=sideways', /order=.*asc, desc/],
    ['symbol=BTCUSDT&snapshot_id=9223372036854775808', /64-bit/],
    ['symbol=BTCUSDT&snapshot_id=1&as_of=2026-11-22', /not both/],
  ])('refuses trades?%s', (query, message) => {
    expect(() => tradesRequest(q(query), limits)).toThrow(message)
  })

  it('bounds bars by range and interval before any query runs', () => {
    expect(barsRequest(q('symbols=btcusdt,ETHUSDT,BTCUSDT&from=2026-11-22T00:00:00Z&to=2026-11-22T01:00:00Z&interval=1m'), limits)).toMatchObject({ symbols: ['BTCUSDT', 'ETHUSDT'], interval: '1m' })
    expect(() => barsRequest(q('from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z&interval=1s&symbols=A,B'), limits)).toThrow(/use a longer interval/)
    expect(() => barsRequest(q('symbol=A&symbols=B'), limits)).toThrow(/not both/)
    expect(() => barsRequest(q('interval=2w'), limits)).toThrow(/interval/)
  })

  it('reads recent and snapshot requests', () => {
    expect(recentRequest(q('symbol=SOLUSDT'), limits)).toEqual({ symbol: 'SOLUSDT', minutes: 5, limit: 100 })
    expect(() => recentRequest(q('symbol=SOLUSDT&minutes=1441'), limits)).toThrow(/minutes/)
    expect(snapshotsRequest(q(''), limits)).toEqual({ table: 'trades', limit: 100 })
    expect(() => snapshotsRequest(q('table=orders'), limits)).toThrow(/trades, quotes/)
  })

  it('reads times as ISO 8601 or epoch ms within 2000–2200', () => {
    expect(parseTime('t', '1763769600000').toISOString()).toBe('2025-11-22T00:00:00.000Z')
    for (const bad of ['0', '1e20', '9999-12-31T00:00:00Z', '2026-13-45', 'now']) expect(() => parseTime('t', bad)).toThrow(/not a time|not an ISO 8601 time|not a valid calendar time/)
    // To the µs, in UTC or with an offset; never in the reader's local zone.
    expect(parseTime('t', '2026-11-22T10:00:00.123456Z').micros).toBe(BigInt(Date.UTC(2026, 10, 22, 10)) * 1000n + 123_456n)
    expect(parseTime('t', '2026-11-22T11:00:00.5+01:00').toJSON()).toBe('2026-11-22T10:00:00.500000Z')
    expect(() => parseTime('t', '2026-11-22T10:00:00')).toThrow(/no time zone/)
  })

  it('writes JSON that JSON.parse reads without rounding an id', () => {
    const out = JSON.parse(JSON.stringify(jsonSafe({ snapshotId: 1n, tradeId: 2n ** 53n, big: 2n ** 60n, at: new Date(0), rows: [{ parentId: 5n }] })))
    expect(out).toEqual({ snapshotId: '1', tradeId: 2 ** 53, big: String(2n ** 60n), at: '1970-01-01T00:00:00.000Z', rows: [{ parentId: '5' }] })
  })

  it('serialises a response body as jsonSafe and lossless-json did, without copying it', () => {
    const body = {
      snapshotId: 4272260463162581864n,
      rows: [
        { trade_id: 2n ** 53n, price: '101.50000000', at: new Date(1796380624445), conditions: ['A', 'B'], n: -0.5, missing: null, skipped: undefined },
        { trade_id: -(2n ** 60n), price: '1e-8', at: new Date(0), conditions: [], n: 1e21, parentId: 7n },
      ],
      stats: { rows: 2, tailMs: 1.25, ids: [1n, 2n ** 62n] },
    }
    expect(jsonText(body)).toBe(stringifyJson(jsonSafe(body)))
    expect(JSON.parse(jsonText(body)).snapshotId).toBe('4272260463162581864')
  })
})
