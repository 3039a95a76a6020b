import { describe, expect, it } from 'vitest'
import { fnv1a32, parseShard, shardOfSymbol, shardTransactionalId, symbolsOfShard } from '../../../lib/internal'

const symbols = Array.from({ length: 1500 }, (_, i) => `S${i.toString(36).toUpperCase()}USDT`)

describe('ingest shards', () => {
  it('reads i/n and refuses anything else with the variable named', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 })
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 })
    for (const bad of ['3/3', '-1/2', '1', '1/0', 'a/b', '0/2000']) expect(() => parseShard(bad), bad).toThrow(/K2_INGEST_SHARD/)
  })

  it('gives every symbol to exactly one shard, roughly evenly', () => {
    for (const count of [1, 2, 3, 8]) {
      const parts = Array.from({ length: count }, (_, index) => symbolsOfShard(symbols, { index, count }))
      expect(parts.flat().sort()).toEqual([...symbols].sort())
      for (const p of parts) expect(p.length).toBeGreaterThan((symbols.length / count) * 0.8)
    }
  })

  it('assigns by a hash that does not depend on the machine or the run (FNV-1a test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
    expect(shardOfSymbol('BTCUSDT', 2)).toBe(fnv1a32('BTCUSDT') % 2)
  })

  it('gives each shard its own transactional id, and the whole feed the one it always had', () => {
    expect(shardTransactionalId('k2-ingest-market.trades', { index: 0, count: 1 })).toBe('k2-ingest-market.trades')
    const ids = [0, 1, 2].map((index) => shardTransactionalId('k2-ingest-market.trades', { index, count: 3 }))
    expect(new Set(ids).size).toBe(3)
    expect(ids[1]).toBe('k2-ingest-market.trades.shard-1-of-3')
  })
})
