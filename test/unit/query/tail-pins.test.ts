import { describe, expect, it } from 'vitest'
import type { LoadedTable } from '../../../lib/internal'
import { createTableStates } from '../../../lib/internal'
import type { KafkaTail } from '../../../lib/internal'
import { createTailPins } from '../../../lib/internal'

const offsets = (o: Record<number, bigint>): Map<number, bigint> => new Map(Object.entries(o).map(([p, v]) => [Number(p), v]))

/** A tail that records where it was trimmed to. */
function fakeTail(): { tail: KafkaTail; trims: Array<[string, Map<number, bigint>]> } {
  const trims: Array<[string, Map<number, bigint>]> = []
  const tail = {
    trim: async (topic: string, to: Map<number, bigint>) => void trims.push([topic, new Map(to)]),
    positions: () => ({ next: new Map(), kept: new Map(), reading: true }),
  } as unknown as KafkaTail
  return { tail, trims }
}

function loadedTables(): ReturnType<typeof createTableStates> {
  const tables = createTableStates({ topics: { trades: 'trades.v2', quotes: 'quotes.v2' } })
  for (const name of ['trades', 'quotes'] as const) tables.get(name)!.loaded = { metadata: {} } as unknown as LoadedTable
  return tables
}

describe('tail pins: a running query keeps its snapshot readable', () => {
  it('trims each market topic to the lake offsets while no query pins', async () => {
    const { tail, trims } = fakeTail()
    const pins = createTailPins(tail, loadedTables(), () => offsets({ 0: 100n }), undefined)
    await pins.trim()
    expect(trims).toEqual([['trades.v2', offsets({ 0: 100n })], ['quotes.v2', offsets({ 0: 100n })]])
  })

  it('holds a pinned topic back until the query unpins, and leaves the other topics alone', async () => {
    const { tail, trims } = fakeTail()
    const pins = createTailPins(tail, loadedTables(), () => offsets({ 0: 100n }), undefined)
    const pin = pins.pin('trades.v2', offsets({ 0: 80n }))
    await pins.trim()
    expect(trims.splice(0)).toEqual([['trades.v2', offsets({ 0: 80n })], ['quotes.v2', offsets({ 0: 100n })]])
    pins.unpin([pin])
    await pins.trim()
    expect(trims).toEqual([['trades.v2', offsets({ 0: 100n })], ['quotes.v2', offsets({ 0: 100n })]])
  })

  it('a table not loaded yet is not trimmed, and without a tail nothing is', async () => {
    const { tail, trims } = fakeTail()
    const tables = loadedTables()
    tables.get('quotes')!.loaded = undefined
    await createTailPins(tail, tables, () => offsets({ 0: 100n }), undefined).trim()
    expect(trims.map(([topic]) => topic)).toEqual(['trades.v2'])
    await expect(createTailPins(undefined, tables, () => offsets({}), undefined).trim()).resolves.toBeUndefined()
  })
})
