import { describe, expect, it } from 'vitest'
import { trimTarget } from '../../../lib/internal'

const offsets = (o: Record<number, bigint>): Map<number, bigint> => new Map(Object.entries(o).map(([p, v]) => [Number(p), v]))

describe('trimTarget: how far the tail of a topic may be trimmed', () => {
  it.each([
    ['no query pins a snapshot: to the current snapshot', { 0: 100n, 1: 50n }, [], { 0: 100n, 1: 50n }],
    ['a pinned older snapshot holds each partition back', { 0: 100n, 1: 50n }, [{ 0: 80n, 1: 50n }], { 0: 80n, 1: 50n }],
    ['the lowest of several pins wins, per partition', { 0: 100n, 1: 50n }, [{ 0: 80n, 1: 45n }, { 0: 90n, 1: 40n }], { 0: 80n, 1: 40n }],
    ['a partition a pin does not name is pinned from 0 (its snapshot held nothing of it)', { 0: 100n, 1: 50n }, [{ 0: 100n }], { 0: 100n, 1: 0n }],
    ['a deferred topic the snapshot never backfilled is not trimmed', {}, [{}], {}],
  ])('%s', (_, current, pins, want) => {
    expect(trimTarget(offsets(current), pins.map(offsets))).toEqual(offsets(want))
  })
})
