import { describe, expect, it } from 'vitest'
import { ErrorCode, isWorkbenchError } from '../../../lib/internal'
import {
  allOf,
  anyOf,
  between,
  bindFilter,
  eq,
  fileMayMatch,
  gt,
  gte,
  isIn,
  isNull,
  lt,
  lte,
  manifestMayMatch,
  notNull,
  type BoundFilter,
  type ScanFilter,
} from '../../../lib/internal'
import { compareValues, encodeSingleValue, type SingleValue } from '../../../lib/internal'
import { FileContent } from '../../../lib/internal'
import type { DataFile, PartitionFieldSummary, PartitionSpec, PartitionValue, Schema } from '../../../lib/internal'
import { tradesTable } from '../../../lib/internal'
import { partitionType } from '../../../lib/internal'
import { applyTransform, transformResultType } from '../../../lib/internal'
import { prng as rng } from '../../support/prng'

// --- a trades-like table: partitioned by day(event_time) and bucket[16](symbol) ---------------

/** The workbench's trades schema plus nullable columns, for null tests and a double. */
const schema: Schema = {
  ...tradesTable.schema,
  fields: [
    ...tradesTable.schema.fields,
    { id: 20, name: 'note', required: false, type: 'string' },
    { id: 21, name: 'fee', required: false, type: 'double' },
    { id: 22, name: 'venue', required: false, type: { type: 'struct', fields: [{ id: 23, name: 'mic', required: false, type: 'string' }] } },
    { id: 24, name: 'trade_date', required: false, type: 'date' },
  ],
}
const spec: PartitionSpec = tradesTable.spec // day(event_time) 1000, bucket[16](symbol) 1001
const fields = partitionType(schema, spec, transformResultType)
const unpartitioned: PartitionSpec = { 'spec-id': 1, fields: [] }
const noFields = partitionType(schema, unpartitioned, transformResultType)

const id = (name: string): number => {
  const f = schema.fields.find((x) => x.name === name)
  if (!f) throw new Error(`no column ${name}`)
  return f.id
}
const typeOf = (name: string): string => {
  const t = schema.fields.find((x) => x.name === name)?.type
  if (typeof t !== 'string') throw new Error(`${name} is not primitive`)
  return t
}

const micros = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n
const day = (iso: string): number => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / 86_400_000
const bucket = (symbol: string): number => applyTransform('bucket[16]', 'string', symbol) as number

// BTCUSDT and XRPUSDT share bucket 13; ETHUSDT is 14 and SOLUSDT 11 (Appendix B hashes).
const btc = bucket('BTCUSDT')
const eth = bucket('ETHUSDT')
const sol = bucket('SOLUSDT')
const xrp = bucket('XRPUSDT')

interface FileStats {
  readonly partition?: readonly PartitionValue[]
  /** Column name → [lower, upper] non-null bounds. */
  readonly bounds?: Readonly<Record<string, readonly [SingleValue, SingleValue]>>
  /** Column name → [value count, null count]. */
  readonly counts?: Readonly<Record<string, readonly [number, number]>>
}

/** A data file with bounds encoded as manifests store them (single-value binary). */
function dataFile(stats: FileStats): DataFile {
  const lower = new Map<number, Uint8Array>()
  const upper = new Map<number, Uint8Array>()
  for (const [name, [lo, hi]] of Object.entries(stats.bounds ?? {})) {
    lower.set(id(name), encodeSingleValue(typeOf(name), lo))
    upper.set(id(name), encodeSingleValue(typeOf(name), hi))
  }
  const values = new Map<number, bigint>()
  const nulls = new Map<number, bigint>()
  for (const [name, [v, n]] of Object.entries(stats.counts ?? {})) {
    values.set(id(name), BigInt(v))
    nulls.set(id(name), BigInt(n))
  }
  return {
    content: FileContent.Data,
    filePath: 's3://warehouse/market/trades/data/f.parquet',
    fileFormat: 'PARQUET',
    partition: stats.partition ?? [],
    recordCount: 100n,
    fileSizeInBytes: 4096n,
    ...(stats.bounds ? { lowerBounds: lower, upperBounds: upper } : {}),
    ...(stats.counts ? { valueCounts: values, nullValueCounts: nulls } : {}),
  }
}

const bind = (f: ScanFilter): BoundFilter => bindFilter(f, schema)
const onPartitioned = (f: ScanFilter, stats: FileStats): boolean => fileMayMatch(bind(f), spec, fields, dataFile({ partition: [day('2024-03-01'), btc], ...stats }))
const onUnpartitioned = (f: ScanFilter, stats: FileStats): boolean => fileMayMatch(bind(f), unpartitioned, noFields, dataFile(stats))

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

describe('fileMayMatch: the partition tuple (day(event_time), bucket[16](symbol)) of 2024-03-01 / BTCUSDT', () => {
  it.each<[string, ScanFilter, boolean]>([
    ['a range inside the day', between('event_time', micros('2024-03-01T10:00:00Z'), micros('2024-03-01T11:00:00Z')), true],
    ['a range on the next day', between('event_time', micros('2024-03-02T00:00:00Z'), micros('2024-03-02T23:59:59Z')), false],
    ['a range spanning the day', between('event_time', micros('2024-02-28T00:00:00Z'), micros('2024-03-05T00:00:00Z')), true],
    ['< midnight of the day (strict: the day cannot match)', lt('event_time', micros('2024-03-01T00:00:00Z')), false],
    ['<= midnight of the day', lte('event_time', micros('2024-03-01T00:00:00Z')), true],
    ['>= midnight of the next day', gte('event_time', micros('2024-03-02T00:00:00Z')), false],
    ['> one µs before the next day', gt('event_time', micros('2024-03-02T00:00:00Z') - 2n), true],
    ['event_time given as a Date', eq('event_time', new Date('2024-03-01T12:00:00Z')), true],
    ['event_time given as a Date on another day', eq('event_time', new Date('2024-03-03T12:00:00Z')), false],
    ['symbol = BTCUSDT', eq('symbol', 'BTCUSDT'), true],
    ['symbol = ETHUSDT (bucket 14, not 13)', eq('symbol', 'ETHUSDT'), false],
    ['symbol = XRPUSDT (same bucket 13: partition cannot tell)', eq('symbol', 'XRPUSDT'), true],
    ['symbol < ZZZ (buckets keep no order: no pruning)', lt('symbol', 'AAA'), true],
    ['symbol in (ETHUSDT, SOLUSDT)', isIn('symbol', ['ETHUSDT', 'SOLUSDT']), false],
    ['symbol in (ETHUSDT, BTCUSDT)', isIn('symbol', ['ETHUSDT', 'BTCUSDT']), true],
    ['symbol in ()', isIn('symbol', []), false],
    ['symbol = BTCUSDT and the next day', allOf(eq('symbol', 'BTCUSDT'), eq('event_time', micros('2024-03-02T01:00:00Z'))), false],
    ['symbol = ETHUSDT or = BTCUSDT', anyOf(eq('symbol', 'ETHUSDT'), eq('symbol', 'BTCUSDT')), true],
    ['symbol = ETHUSDT or = SOLUSDT', anyOf(eq('symbol', 'ETHUSDT'), eq('symbol', 'SOLUSDT')), false],
    ['no predicate at all (and [])', allOf(), true],
    ['or [] matches nothing', anyOf(), false],
    ['event_time is null (day partition is not null)', isNull('event_time'), false],
    ['event_time is not null', notNull('event_time'), true],
    ['a column with no partition field', eq('trade_id', 42n), true],
  ])('%s', (_name, filter, expected) => {
    expect([eth, sol, xrp]).toEqual([14, 11, btc])
    expect(onPartitioned(filter, {})).toBe(expected)
  })

  it('a null partition value (event_time null in every row) matches isNull and no comparison', () => {
    const file = dataFile({ partition: [null, btc] })
    expect(fileMayMatch(bind(isNull('event_time')), spec, fields, file)).toBe(true)
    expect(fileMayMatch(bind(notNull('event_time')), spec, fields, file)).toBe(false)
    expect(fileMayMatch(bind(gte('event_time', 0n)), spec, fields, file)).toBe(false)
  })
})

describe('fileMayMatch: column bounds and counts', () => {
  const tenToEleven: FileStats = {
    bounds: {
      event_time: [micros('2024-03-01T10:00:00Z'), micros('2024-03-01T11:00:00Z')],
      symbol: ['BTCUSDT', 'BTCUSDT'],
      trade_id: [100n, 200n],
      price: [6_500_000_000_000n, 6_600_000_000_000n], // decimal(18, 8): 65000.00000000 … 66000.00000000
    },
    counts: { event_time: [100, 0], symbol: [100, 0], trade_id: [100, 0], price: [100, 0] },
  }
  it.each<[string, ScanFilter, boolean]>([
    ['a range after the file', between('event_time', micros('2024-03-01T12:00:00Z'), micros('2024-03-01T13:00:00Z')), false],
    ['a range before the file', between('event_time', micros('2024-03-01T08:00:00Z'), micros('2024-03-01T09:59:59Z')), false],
    ['a range inside the file', between('event_time', micros('2024-03-01T10:30:00Z'), micros('2024-03-01T10:31:00Z')), true],
    ['a range overlapping the start', between('event_time', micros('2024-03-01T09:00:00Z'), micros('2024-03-01T10:00:00Z')), true],
    ['> the upper bound', gt('event_time', micros('2024-03-01T11:00:00Z')), false],
    ['>= the upper bound', gte('event_time', micros('2024-03-01T11:00:00Z')), true],
    ['< the lower bound', lt('event_time', micros('2024-03-01T10:00:00Z')), false],
    ['<= the lower bound', lte('event_time', micros('2024-03-01T10:00:00Z')), true],
    ['symbol = XRPUSDT (same bucket, outside the bounds)', eq('symbol', 'XRPUSDT'), false],
    ['symbol = BTCUSDT', eq('symbol', 'BTCUSDT'), true],
    ['trade_id in (1, 50)', isIn('trade_id', [1n, 50n]), false],
    ['trade_id in (1, 150)', isIn('trade_id', [1n, 150n]), true],
    ['trade_id = 150 as a number (safe integers are taken for longs)', eq('trade_id', 150), true],
    ['price > 70000', gt('price', 7_000_000_000_000n), false],
    ['price <= 65000', lte('price', 6_500_000_000_000n), true],
  ])('%s', (_name, filter, expected) => {
    // Same answer with and without the partition tuple of the file's own day and bucket.
    expect(onUnpartitioned(filter, tenToEleven)).toBe(expected)
    expect(onPartitioned(filter, tenToEleven)).toBe(expected)
  })

  it.each<[string, ScanFilter, FileStats, boolean]>([
    ['isNull, no nulls', isNull('note'), { counts: { note: [100, 0] } }, false],
    ['isNull, some nulls', isNull('note'), { counts: { note: [100, 3] } }, true],
    ['isNull, no counts', isNull('note'), {}, true],
    ['notNull, all null', notNull('note'), { counts: { note: [100, 100] } }, false],
    ['notNull, some null', notNull('note'), { counts: { note: [100, 99] } }, true],
    ['eq on an all-null column', eq('note', 'x'), { counts: { note: [100, 100] } }, false],
    ['in on an all-null column', isIn('note', ['x']), { counts: { note: [100, 100] } }, false],
    ['eq 0 on a column of -0.0 (SQL: -0 = 0)', eq('fee', 0), { bounds: { fee: [-0, -0] } }, true],
    ['eq -0 on a column of 0.0', eq('fee', -0), { bounds: { fee: [0, 0] } }, true],
    ['eq NaN: bounds leave NaN out, so never prune', eq('fee', NaN), { bounds: { fee: [1, 2] } }, true],
    ['date column given a Date at midnight', eq('trade_date', new Date('2024-03-02T00:00:00Z')), { bounds: { trade_date: [day('2024-03-01'), day('2024-03-01')] } }, false],
  ])('%s', (_name, filter, stats, expected) => {
    expect(onUnpartitioned(filter, stats)).toBe(expected)
  })

  it('missing stats never prune: every filter may match a file with no bounds, counts or partition', () => {
    const filters: ScanFilter[] = [
      eq('symbol', 'BTCUSDT'),
      lt('event_time', 0n),
      gt('trade_id', 2n ** 62n),
      isIn('price', [1n]),
      isNull('note'),
      notNull('note'),
      between('fee', -1, 1),
      allOf(eq('exchange', 'BINANCE'), gte('trade_id', 0n)),
    ]
    for (const f of filters) expect(onUnpartitioned(f, {})).toBe(true)
    // The partition tuple has fewer values than the spec has fields: it tells nothing.
    for (const f of filters) expect(fileMayMatch(bind(f), spec, fields, dataFile({ partition: [day('1999-01-01')] }))).toBe(true)
  })

  it('a bound that does not decode as the column type tells nothing; a 4-byte bound of a promoted long is an int', () => {
    const odd: DataFile = { ...dataFile({}), lowerBounds: new Map([[id('trade_id'), Uint8Array.of(1, 2, 3)]]), upperBounds: new Map([[id('trade_id'), Uint8Array.of(1, 2, 3)]]) }
    expect(fileMayMatch(bind(eq('trade_id', 5n)), unpartitioned, noFields, odd)).toBe(true)
    const promoted: DataFile = { ...dataFile({}), lowerBounds: new Map([[id('trade_id'), encodeSingleValue('int', 10)]]), upperBounds: new Map([[id('trade_id'), encodeSingleValue('int', 20)]]) }
    expect(fileMayMatch(bind(eq('trade_id', 30n)), unpartitioned, noFields, promoted)).toBe(false)
    expect(fileMayMatch(bind(eq('trade_id', 15n)), unpartitioned, noFields, promoted)).toBe(true)
  })

  it('truncated string bounds (Iceberg keeps 16 characters) still bound the values', () => {
    // Values "BINANCE-SPOT-BTCUSDT-1" … "BINANCE-SPOT-BTCUSDT-9": lower truncated, upper truncated and incremented.
    const stats: FileStats = { bounds: { note: ['BINANCE-SPOT-BTC', 'BINANCE-SPOT-BTD'] } }
    expect(onUnpartitioned(eq('note', 'BINANCE-SPOT-BTCUSDT-5'), stats)).toBe(true)
    expect(onUnpartitioned(eq('note', 'BINANCE-SPOT-ETHUSDT-5'), stats)).toBe(false)
  })
})

describe('manifestMayMatch: partition field summaries of the manifest list', () => {
  const summary = (lower: SingleValue | undefined, upper: SingleValue | undefined, type: string, containsNull = false, containsNan: boolean | 'unwritten' = false): PartitionFieldSummary => ({
    containsNull,
    ...(containsNan === 'unwritten' ? {} : { containsNan }),
    ...(lower === undefined ? {} : { lowerBound: encodeSingleValue(type, lower) }),
    ...(upper === undefined ? {} : { upperBound: encodeSingleValue(type, upper) }),
  })
  /** 2024-03-01 … 2024-03-03, buckets 11 … 13. */
  const threeDays = [summary(day('2024-03-01'), day('2024-03-03'), 'date'), summary(sol, btc, 'int')]

  it.each<[string, ScanFilter, readonly PartitionFieldSummary[] | undefined, boolean]>([
    ['a day inside the range', eq('event_time', micros('2024-03-02T12:00:00Z')), threeDays, true],
    ['a day after the range', between('event_time', micros('2024-03-05T00:00:00Z'), micros('2024-03-06T00:00:00Z')), threeDays, false],
    ['before the range (< midnight of its first day)', lt('event_time', micros('2024-03-01T00:00:00Z')), threeDays, false],
    ['a bucket inside the range (BTCUSDT 13)', eq('symbol', 'BTCUSDT'), threeDays, true],
    ['a bucket outside the range (ETHUSDT 14)', eq('symbol', 'ETHUSDT'), threeDays, false],
    ['in: one bucket inside', isIn('symbol', ['ETHUSDT', 'SOLUSDT']), threeDays, true],
    ['isNull with contains_null false', isNull('event_time'), threeDays, false],
    ['isNull with contains_null true', isNull('event_time'), [summary(day('2024-03-01'), day('2024-03-03'), 'date', true), threeDays[1]!], true],
    ['no summaries (v1 manifest list)', eq('symbol', 'ETHUSDT'), undefined, true],
    ['all null: no bounds, contains_null, contains_nan false', eq('event_time', 0n), [summary(undefined, undefined, 'date', true), threeDays[1]!], false],
    ['all null, notNull', notNull('event_time'), [summary(undefined, undefined, 'date', true), threeDays[1]!], false],
    ['all null, isNull', isNull('event_time'), [summary(undefined, undefined, 'date', true), threeDays[1]!], true],
    ['no bounds and contains_nan unknown: tells nothing', eq('event_time', 0n), [summary(undefined, undefined, 'date', true, 'unwritten'), threeDays[1]!], true],
    ['only a lower bound', gt('event_time', micros('2030-01-01T00:00:00Z')), [summary(day('2024-03-01'), undefined, 'date'), threeDays[1]!], true],
  ])('%s', (_name, filter, summaries, expected) => {
    expect(manifestMayMatch(bind(filter), spec, fields, summaries)).toBe(expected)
  })

  it('refuses partition fields of another spec', () => {
    const err = thrown(() => manifestMayMatch(bind(eq('symbol', 'BTCUSDT')), spec, noFields, threeDays))
    expect(err.message).toMatch(/partition fields \[\] are not those of spec 0 \[1000, 1001\]/)
  })
})

describe('bindFilter', () => {
  it('resolves names to field ids and types, values to their canonical form', () => {
    expect(bind(allOf(eq('symbol', 'BTCUSDT'), gte('event_time', new Date('2024-03-01T00:00:00.001Z')), eq('trade_id', 7), eq('venue.mic', 'XBIN')))).toEqual({
      kind: 'and',
      children: [
        { kind: 'predicate', fieldId: 2, column: 'symbol', type: 'string', op: 'eq', values: ['BTCUSDT'] },
        { kind: 'predicate', fieldId: 4, column: 'event_time', type: 'timestamptz', op: 'gte', values: [micros('2024-03-01T00:00:00Z') + 1000n] },
        { kind: 'predicate', fieldId: 3, column: 'trade_id', type: 'long', op: 'eq', values: [7n] },
        { kind: 'predicate', fieldId: 23, column: 'venue.mic', type: 'string', op: 'eq', values: ['XBIN'] },
      ],
    })
  })

  it.each<[string, ScanFilter, RegExp]>([
    ['an unknown column, naming the columns there are', eq('sym', 'BTCUSDT'), /unknown column "sym": schema 0 has "exchange", "symbol", "trade_id", .*"note"/],
    ['a value of another type', eq('trade_id', 'seven'), /filter "trade_id" eq: the column is a long: .*got string "seven"/],
    ['a decimal given as a float', eq('price', 65000.5), /the column is a decimal\(18, 8\).*unscaled/],
    ['eq null', { column: 'note', op: 'eq', value: null as unknown as string }, /needs a value, got null: to match nulls use isNull/],
    ['in without values', { column: 'note', op: 'in' }, /in takes a values array/],
    ['a list column', eq('trade_conditions', 'x'), /a list: only primitive columns can be filtered/],
    ['an unknown operation', { column: 'note', op: 'like' as 'eq', value: 'x' }, /unknown operation "like"/],
    ['a Date for a date column that is not midnight', eq('trade_date', new Date('2024-03-01T12:00:00Z')), /is not a date: a date column takes a Date at UTC midnight/],
    ['a Date for a string column', eq('note', new Date(0)), /a Date is not a string value/],
  ])('%s', (_name, filter, message) => {
    const err = thrown(() => bind(filter))
    expect(isWorkbenchError(err, ErrorCode.ConfigInvalid)).toBe(true)
    expect(err.message).toMatch(message)
  })
})

// --- random files and filters: pruning never drops a file that has a matching row -------------

type Row = { symbol: string; event_time: bigint; trade_id: bigint; note: string | null }
const columns = ['symbol', 'event_time', 'trade_id', 'note'] as const
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'BNBUSDT', 'ADAUSDT']
const notes = ['a', 'b', 'ba', 'c', 'é', '🐇']
const start = micros('2024-03-01T00:00:00Z')
const hour = 3_600_000_000n

describe('random rows, files and filters', () => {
  it('a file or manifest with a row that matches is never pruned, and pruning does happen', () => {
    const random = rng(20240301)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T
    const randomRow = (): Row => ({
      symbol: pick(symbols),
      event_time: start + BigInt(Math.floor(random() * 96)) * hour + BigInt(Math.floor(random() * 3600)) * 1_000_000n,
      trade_id: BigInt(Math.floor(random() * 1000)),
      note: random() < 0.3 ? null : pick(notes),
    })
    const randomValue = (c: (typeof columns)[number]): SingleValue =>
      c === 'symbol' ? pick(symbols) : c === 'event_time' ? start + BigInt(Math.floor(random() * 100 - 2)) * hour : c === 'trade_id' ? BigInt(Math.floor(random() * 1100 - 50)) : pick(notes)
    const randomFilter = (depth: number): ScanFilter => {
      const r = random()
      if (depth < 2 && r < 0.25) return allOf(randomFilter(depth + 1), randomFilter(depth + 1))
      if (depth < 2 && r < 0.4) return anyOf(randomFilter(depth + 1), randomFilter(depth + 1))
      const c = pick(columns)
      const op = pick(['eq', 'lt', 'lte', 'gt', 'gte', 'in', 'isNull', 'notNull'] as const)
      if (op === 'in') return isIn(c, [randomValue(c), randomValue(c)])
      if (op === 'isNull' || op === 'notNull') return { column: c, op }
      return { column: c, op, value: randomValue(c) }
    }
    /** SQL semantics on one row: a comparison with null is not true. */
    const rowMatches = (f: ScanFilter, row: Row): boolean => {
      if ('and' in f) return f.and.every((x) => rowMatches(x, row))
      if ('or' in f) return f.or.some((x) => rowMatches(x, row))
      const v = row[f.column as keyof Row]
      if (f.op === 'isNull') return v === null
      if (f.op === 'notNull') return v !== null
      if (v === null) return false
      const type = typeOf(f.column)
      const c = (x: unknown): number => compareValues(type, v, x as SingleValue)
      if (f.op === 'in') return (f.values ?? []).some((x) => c(x) === 0)
      const r = c(f.value)
      return f.op === 'eq' ? r === 0 : f.op === 'lt' ? r < 0 : f.op === 'lte' ? r <= 0 : f.op === 'gt' ? r > 0 : r >= 0
    }
    /** A file of rows in one partition, with metrics computed from them, some dropped at random. */
    const fileOf = (rows: Row[]): DataFile => {
      const first = rows[0] as Row
      const bounds: Record<string, [SingleValue, SingleValue]> = {}
      const counts: Record<string, [number, number]> = {}
      for (const c of columns) {
        const present = rows.map((r) => r[c]).filter((v): v is string | bigint => v !== null)
        counts[c] = [rows.length, rows.length - present.length]
        if (present.length > 0 && random() < 0.8) {
          const sorted = [...present].sort((a, b) => compareValues(typeOf(c), a, b))
          bounds[c] = [sorted[0] as SingleValue, sorted[sorted.length - 1] as SingleValue]
        }
      }
      return dataFile({ partition: [applyTransform('day', 'timestamptz', first.event_time), bucket(first.symbol)], bounds, ...(random() < 0.8 ? { counts } : {}) })
    }
    let filesPruned = 0
    let manifestsPruned = 0
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: 40 }, randomRow)
      const byPartition = new Map<string, Row[]>()
      for (const row of rows) {
        const key = `${applyTransform('day', 'timestamptz', row.event_time)}/${bucket(row.symbol)}`
        byPartition.set(key, [...(byPartition.get(key) ?? []), row])
      }
      const files = [...byPartition.values()].map((r) => ({ rows: r, file: fileOf(r) }))
      const summaries = fields.map((field, i): PartitionFieldSummary => {
        const values = files.map((f) => f.file.partition[i] as SingleValue).sort((a, b) => compareValues(field.type, a, b))
        return { containsNull: false, containsNan: false, lowerBound: encodeSingleValue(field.type, values[0]!), upperBound: encodeSingleValue(field.type, values[values.length - 1]!) }
      })
      for (let k = 0; k < 5; k++) {
        const filter = randomFilter(0)
        const bound = bind(filter)
        for (const { rows: fileRows, file } of files) {
          const may = fileMayMatch(bound, spec, fields, file)
          if (fileRows.some((r) => rowMatches(filter, r))) expect(may, JSON.stringify(filter, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(true)
          if (!may) filesPruned++
        }
        const manifestMay = manifestMayMatch(bound, spec, fields, summaries)
        if (rows.some((r) => rowMatches(filter, r))) expect(manifestMay).toBe(true)
        if (!manifestMay) manifestsPruned++
      }
    }
    expect(filesPruned).toBeGreaterThan(1000)
    expect(manifestsPruned).toBeGreaterThan(50)
  })
})
