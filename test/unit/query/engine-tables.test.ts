import { describe, expect, it } from 'vitest'
import type { LoadedTable } from '../../../lib/internal'
import { createTableStates, lagRecords, lowestOffsets, tableKeeping, topicsOf, type TableState } from '../../../lib/internal'

const offsets = (o: Record<number, bigint>): Map<number, bigint> => new Map(Object.entries(o).map(([p, v]) => [Number(p), v]))

/** A loaded table whose current snapshot exists (or, with `snapshot` false, has none yet). */
const loaded = (snapshot = true): LoadedTable =>
  ({
    'metadata-location': 's3://x/metadata.json',
    metadata: { refs: snapshot ? { main: { 'snapshot-id': 1n } } : {}, snapshots: snapshot ? [{ 'snapshot-id': 1n }] : [] },
  }) as unknown as LoadedTable

const topics = { trades: 'trades.v2', quotes: 'quotes.v2', deferredTrades: 'trades.deferred' }

/** Tables with the given loaded offsets per table (one topic each: the hot trades topic). */
function tablesAt(at: Partial<Record<'trades' | 'bars_1m' | 'trades_latest', Record<number, bigint> | undefined>>): Map<string, TableState> {
  const tables = createTableStates({ topics: { trades: 'trades.v2', quotes: 'quotes.v2' } })
  for (const [name, o] of Object.entries(at)) {
    const t = tables.get(name as 'trades')!
    t.loaded = o ? loaded() : undefined
    t.offsets = o ? new Map([['trades.v2', offsets(o)]]) : new Map()
  }
  return tables
}

describe('engine tables: names and topics', () => {
  it('the rollups read the trades topics, the market tables their own; a table keeps its configured Iceberg name', () => {
    const tables = createTableStates({ topics, tables: { trades: 'trades_test' } })
    expect([...tables.values()].map((t) => [t.name, t.icebergName, topicsOf(t)])).toEqual([
      ['trades', 'trades_test', ['trades.v2', 'trades.deferred']],
      ['quotes', 'quotes', ['quotes.v2']],
      ['bars_1m', 'trades_bars_1m', ['trades.v2', 'trades.deferred']],
      ['trades_latest', 'trades_latest', ['trades.v2', 'trades.deferred']],
    ])
    expect(tables.get('bars_1m')!.derived?.from).toBe('trades')
    expect(tables.get('quotes')!.derived).toBeUndefined()
  })

  it('without topics no table reads a tail', () => {
    expect([...createTableStates({}).values()].flatMap(topicsOf)).toEqual([])
  })
})

describe('engine tables: what the tail keeps', () => {
  it.each([
    ['a rollup within the lag limit is kept for, and the tail keeps from its offsets', { trades: { 0: 1000n }, bars_1m: { 0: 900n } }, 100n, true, { 0: 900n }],
    ['a rollup beyond the lag limit is read from the trades instead, and holds the tail back no more', { trades: { 0: 1000n }, bars_1m: { 0: 899n } }, 100n, false, { 0: 1000n }],
    ['a rollup that does not exist yet is not kept for', { trades: { 0: 1000n }, bars_1m: undefined }, 100n, false, { 0: 1000n }],
    ['a partition the rollup lacks counts from 0', { trades: { 0: 10n, 1: 10n }, bars_1m: { 0: 10n } }, 9n, false, { 0: 10n, 1: 10n }],
  ])('%s', (_, at, maxLag, kept, from) => {
    const tables = tablesAt({ trades_latest: undefined, ...at })
    const keeping = tableKeeping(tables as never, maxLag)
    expect(keeping.keptFor(tables.get('trades')!)).toBe(true)
    expect(keeping.keptFor(tables.get('bars_1m')!)).toBe(kept)
    expect(keeping.keptFrom('trades.v2')).toEqual(offsets(from))
  })

  it.each([
    ['the tail keeps every record from the rollup offsets', { 0: 900n }, true],
    ['the tail was trimmed past the rollup offsets', { 0: 950n }, false],
  ])('a rollup is readable from the tail when %s', (_, kept, holds) => {
    const tables = tablesAt({ trades: { 0: 1000n }, bars_1m: { 0: 900n } })
    const tail = { positions: () => ({ next: offsets({ 0: 1000n }), kept: offsets(kept), reading: true }) }
    expect(tableKeeping(tables as never, 100n).tailHolds(tables.get('bars_1m')!, tail)).toBe(holds)
  })

  it('without a tail, or without a snapshot, nothing is held', () => {
    const tables = tablesAt({ trades: { 0: 1000n }, bars_1m: { 0: 900n } })
    const keeping = tableKeeping(tables as never, 100n)
    const tail = { positions: () => ({ next: offsets({ 0: 1000n }), kept: offsets({ 0: 0n }), reading: true }) }
    expect(keeping.tailHolds(tables.get('bars_1m')!, undefined)).toBe(false)
    tables.get('bars_1m')!.loaded = loaded(false)
    expect(keeping.tailHolds(tables.get('bars_1m')!, tail)).toBe(false)
  })
})

describe('offset arithmetic', () => {
  it.each([
    ['ahead on every partition', { 0: 10n, 1: 5n }, { 0: 4n, 1: 5n }, 6n],
    ['a partition behind counts nothing, not less than nothing', { 0: 10n, 1: 5n }, { 0: 4n, 1: 9n }, 6n],
    ['a partition `from` lacks counts from 0', { 0: 10n, 1: 5n }, { 0: 10n }, 5n],
  ])('lagRecords: %s', (_, to, from, want) => {
    expect(lagRecords(offsets(to), offsets(from))).toBe(want)
  })

  it.each([
    ['per partition, the lowest', [{ 0: 10n, 1: 5n }, { 0: 4n, 1: 9n }], { 0: 4n, 1: 5n }],
    ['a partition one lacks is at 0', [{ 0: 10n, 1: 5n }, { 0: 4n }], { 0: 4n, 1: 0n }],
    ['none: nothing', [], {}],
  ] as Array<[string, Array<Record<number, bigint>>, Record<number, bigint>]>)('lowestOffsets: %s', (_, all, want) => {
    expect(lowestOffsets(all.map(offsets))).toEqual(offsets(want))
  })
})
