import { describe, expect, it } from 'vitest'
import { allOf, anyOf, bindFilter, confinedSpans, encodeSingleValue, eq, gte, lt, lte, minuteFiles, minuteOf, slicePays, spanMinutes, type ScanFile, type Schema } from '../../../lib/internal'

/** Which minutes a read is confined to, and which files hold each (D93): the pure half of the minute slices. */
const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'symbol', required: true, type: 'string' },
    { id: 4, name: 'event_time', required: true, type: 'timestamptz' },
  ],
}
const min = 60_000_000n
const t0 = BigInt(Date.UTC(2026, 11, 6, 12, 0)) * 1000n
const at = (us: bigint): Date => new Date(Number(us / 1000n))
const spans = (f: Parameters<typeof bindFilter>[0]) => confinedSpans(bindFilter(f, schema), 4)

describe('confinedSpans', () => {
  it('bounds a range on the time column, and leaves other columns unbounded', () => {
    expect(spans(allOf(eq('symbol', 'BTCUSDT'), gte('event_time', at(t0 + 5_000_000n)), lt('event_time', at(t0 + min))))).toEqual([{ lo: t0 + 5_000_000n, hi: t0 + min - 1n }])
    expect(spans(eq('symbol', 'BTCUSDT'))).toEqual([{}])
    expect(spans(allOf())).toEqual([{}])
  })

  it('unites the ranges of an or, intersects those of an and, and drops what cannot match', () => {
    const edges = anyOf(allOf(gte('event_time', at(t0 + 1000n)), lt('event_time', at(t0 + min))), allOf(gte('event_time', at(t0 + 10n * min)), lte('event_time', at(t0 + 10n * min + 2000n))))
    expect(spans(allOf(eq('symbol', 'X'), edges))).toEqual([
      { lo: t0 + 1000n, hi: t0 + min - 1n },
      { lo: t0 + 10n * min, hi: t0 + 10n * min + 2000n },
    ])
    expect(spans(allOf(edges, gte('event_time', at(t0 + 5n * min))))).toEqual([{ lo: t0 + 10n * min, hi: t0 + 10n * min + 2000n }])
    expect(spans(anyOf())).toEqual([])
  })

  it('takes a range open at one end as unbounded', () => {
    expect(spanMinutes(spans(gte('event_time', at(t0))), 4)).toBeUndefined()
    expect(spanMinutes(spans(anyOf(lt('event_time', at(t0)), allOf(gte('event_time', at(t0)), lt('event_time', at(t0 + 1n))))), 4)).toBeUndefined()
  })
})

describe('spanMinutes', () => {
  it('lists the minutes a range touches, and refuses more than the bound', () => {
    const cut = [{ lo: t0 + 12_345_000n, hi: t0 + min + 3_000_000n }]
    expect(spanMinutes(cut, 4)).toEqual([t0, t0 + min])
    expect(spanMinutes([{ lo: t0, hi: t0 + 4n * min - 1n }], 4)).toEqual([t0, t0 + min, t0 + 2n * min, t0 + 3n * min])
    expect(spanMinutes([{ lo: t0, hi: t0 + 4n * min }], 4)).toBeUndefined()
    expect(spanMinutes([], 4)).toEqual([])
  })

  it('floors minutes before 1970 too', () => {
    expect(minuteOf(-1n)).toBe(-min)
    expect(minuteOf(-min)).toBe(-min)
    expect(minuteOf(min + 1n)).toBe(min)
  })
})

describe('minuteFiles', () => {
  const file = (path: string, rows: number, lo?: bigint, hi?: bigint): ScanFile =>
    ({
      path,
      recordCount: BigInt(rows),
      fileSizeInBytes: 1n,
      partition: [],
      specId: 0,
      dataFile: {
        ...(lo !== undefined ? { lowerBounds: new Map([[4, encodeSingleValue('timestamptz', lo)]]) } : {}),
        ...(hi !== undefined ? { upperBounds: new Map([[4, encodeSingleValue('timestamptz', hi)]]) } : {}),
      },
    }) as unknown as ScanFile

  it('gives each minute the files whose bounds reach into it, with the rows it likely holds', () => {
    const files = [
      file('hour', 60_000, t0, t0 + 60n * min - 1n), // an hour, 1,000 rows a minute
      file('late', 500, t0 + 30n * min, t0 + 31n * min - 1n), // one minute only
      file('unbounded', 100),
    ]
    const [first, thirtieth] = minuteFiles(files, 4, 'timestamptz', [t0, t0 + 30n * min])
    expect(first!.files).toEqual([0, 2])
    expect(first!.rows).toBe(60_100)
    expect(Math.round(first!.estimatedRows)).toBe(1_100)
    expect(thirtieth!.files).toEqual([0, 1, 2])
    expect(Math.round(thirtieth!.estimatedRows)).toBe(1_600)
    expect(slicePays(first!, 16_384)).toBe(true)
  })

  it('does not slice a minute whose files are small, or mostly that minute', () => {
    const sinkFiles = [file('a', 20_000, t0, t0 + min - 1n), file('b', 20_000, t0 + 30_000_000n, t0 + 90_000_000n)]
    const [m] = minuteFiles(sinkFiles, 4, 'timestamptz', [t0])
    expect(slicePays(m!, 16_384)).toBe(false)
    const [small] = minuteFiles([file('hour', 10_000, t0, t0 + 60n * min - 1n)], 4, 'timestamptz', [t0])
    expect(slicePays(small!, 16_384)).toBe(false)
    const [none] = minuteFiles([file('before', 50_000, t0 - 60n * min, t0 - 1n)], 4, 'timestamptz', [t0])
    expect(none!.files).toEqual([])
    expect(slicePays(none!, 16_384)).toBe(false)
  })
})
