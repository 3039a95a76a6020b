import { describe, expect, it } from 'vitest'
import { normaliseBinanceFrame, type NormaliseContext } from '../../../lib/internal'
import type { RejectReason } from '../../../lib/internal'
import { mutate, prng, validFrames as valid } from '../../support/fuzz-frames'

const reasons: readonly RejectReason[] = ['malformed_json', 'oversize_frame', 'unknown_event_type', 'missing_field', 'wrong_type', 'non_numeric', 'non_positive', 'out_of_range', 'unknown_symbol', 'crossed_book']

const ctx: NormaliseContext = {
  exchange: 'BINANCE',
  symbols: new Map([['BTCUSDT', { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' }]]),
  receivedMicros: 1_700_000_000_000_000n,
  timeUnit: 'ms',
  maxFrameBytes: 2048,
}

describe('normaliser fuzz', () => {
  it('gives every one of 20 000 random and mutated frames a record or a known reason, never an exception', () => {
    const random = prng(20261122)
    const seen = new Map<string, number>()
    for (let i = 0; i < 20_000; i++) {
      const frame = mutate(valid[i % valid.length]!, random)
      const r = normaliseBinanceFrame(frame, ctx)
      const label = r.kind === 'reject' ? r.reason : r.kind
      seen.set(label, (seen.get(label) ?? 0) + 1)
      if (r.kind === 'reject') {
        expect(reasons).toContain(r.reason)
        expect(r.detail.length).toBeGreaterThan(0)
      }
    }
    // The mutations reach most reasons, so the test exercises the paths it claims to.
    const reached = reasons.filter((r) => seen.has(r))
    expect(reached.length).toBeGreaterThanOrEqual(7)
    expect(seen.get('trade') ?? 0).toBeGreaterThan(0)
  })
})
