import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../../lib/internal'
import { compareValues, type SingleValue } from '../../../lib/internal'
import {
  applyTransform,
  bucketHash,
  murmur3Hash32,
  parseTransform,
  projectInclusive,
  transformResultType,
  type ParsedTransform,
  type PredicateOp,
} from '../../../lib/internal'
import { prng as rng } from '../../support/prng'

const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/ /g, ''), 'hex'))
const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'))

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

const microsPerDay = 86_400_000_000n
const microsPerHour = 3_600_000_000n
/** 2017-11-16T22:31:08 (UTC for timestamptz), the spec's example instant. */
const exampleMicros = 1_510_871_468_000_000n
const exampleDay = 17486 // 2017-11-16

describe('murmur3Hash32', () => {
  // Signed Murmur3 x86 32-bit, seed 0, as Python's mmh3 5.x (`mmh3.hash(b, 0, signed=True)`) gives them:
  // every tail length (0-3 bytes after the 4-byte blocks) is covered.
  const cases: [string, number][] = [
    ['', 0],
    ['61', 1009084850],
    ['6162', -1681926305],
    ['616263', -1277324294],
    ['61626364', 1139631978],
    ['68656c6c6f', 613153351],
    ['ffffffffff', 2048059228],
    [Buffer.from('The quick brown fox jumps over the lazy dog').toString('hex'), 776992547],
  ]
  it.each(cases)('%s → %i', (bytes, hash) => {
    expect(murmur3Hash32(unhex(bytes))).toBe(hash)
  })
})

describe('bucketHash: the spec test vectors (Appendix B)', () => {
  const cases: [string, string, SingleValue, number][] = [
    ['int 34', 'int', 34, 2017239379],
    ['long 34L', 'long', 34n, 2017239379],
    ['decimal(9,2) 14.20', 'decimal(9,2)', 1420n, -500754589],
    ['date 2017-11-16', 'date', exampleDay, -653330422],
    ['time 22:31:08', 'time', 81_068_000_000n, -662762989],
    ['timestamp 2017-11-16T22:31:08', 'timestamp', exampleMicros, -2047944441],
    ['timestamp 2017-11-16T22:31:08.000001', 'timestamp', exampleMicros + 1n, -1207196810],
    ['timestamptz 2017-11-16T14:31:08-08:00', 'timestamptz', exampleMicros, -2047944441],
    ['timestamptz 2017-11-16T14:31:08.000001-08:00', 'timestamptz', exampleMicros + 1n, -1207196810],
    ['timestamp_ns 2017-11-16T22:31:08', 'timestamp_ns', exampleMicros * 1000n, -2047944441],
    ['timestamp_ns 2017-11-16T22:31:08.000001001', 'timestamp_ns', exampleMicros * 1000n + 1001n, -1207196810],
    ['timestamptz_ns 2017-11-16T14:31:08.000001001-08:00', 'timestamptz_ns', exampleMicros * 1000n + 1001n, -1207196810],
    ['string iceberg', 'string', 'iceberg', 1210000089],
    ['string "34" (spec: Schema Evolution)', 'string', '34', -427558391],
    ['uuid f79c3e09-…', 'uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
    ['fixed[4] 00 01 02 03', 'fixed[4]', unhex('00010203'), -188683207],
    ['binary 00 01 02 03', 'binary', unhex('00010203'), -188683207],
    // The appendix's table for types not valid as bucket sources.
    ['boolean true', 'boolean', true, 1392991556],
    ['float 1.0F', 'float', 1, -142385009],
    ['float 0.0F', 'float', 0, 1669671676],
    ['float -0.0F', 'float', -0, 1669671676],
    ['double 1.0D', 'double', 1, -142385009],
    ['double -0.0D', 'double', -0, 1669671676],
  ]
  it.each(cases)('%s', (_name, type, value, hash) => {
    expect(bucketHash(type, value)).toBe(hash)
  })

  it('an int and the same long hash alike, so int → long promotion keeps buckets (Appendix B note 1)', () => {
    const next = rng(1)
    for (let i = 0; i < 200; i++) {
      const v = Math.floor(next() * 2 ** 32) - 2 ** 31
      expect(bucketHash('int', v)).toBe(bucketHash('long', BigInt(v)))
    }
  })
})

describe('applyTransform', () => {
  const cases: [string, string, string, SingleValue | null, SingleValue | null][] = [
    // identity: the source value, canonical
    ['identity', 'identity', 'date', exampleDay, exampleDay],
    ['identity of a long given as a number is a bigint', 'identity', 'long', 7, 7n],
    ['identity of a uuid is lowercase', 'identity', 'uuid', 'F79C3E09-677C-4BBD-A479-3F349CB785E7', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'],
    // bucket[N] = (hash & Integer.MAX_VALUE) % N, from the Appendix B hashes
    ['bucket[16] int 34', 'bucket[16]', 'int', 34, 3],
    ['bucket[100] int 34', 'bucket[100]', 'int', 34, 79],
    ['bucket[4] long 34', 'bucket[4]', 'long', 34n, 3],
    ['bucket[100] decimal 14.20 (negative hash)', 'bucket[100]', 'decimal(9,2)', 1420n, 59],
    ['bucket[16] date', 'bucket[16]', 'date', exampleDay, 10],
    ['bucket[16] timestamp', 'bucket[16]', 'timestamp', exampleMicros, 7],
    ['bucket[100] string', 'bucket[100]', 'string', 'iceberg', 89],
    ['bucket[16] uuid', 'bucket[16]', 'uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 12],
    ['bucket[100] binary', 'bucket[100]', 'binary', unhex('00010203'), 41],
    // truncate[W] (spec: Truncate Transform Details)
    ['truncate[10] int 1', 'truncate[10]', 'int', 1, 0],
    ['truncate[10] int -1', 'truncate[10]', 'int', -1, -10],
    ['truncate[10] int 10', 'truncate[10]', 'int', 10, 10],
    ['truncate[10] int -10', 'truncate[10]', 'int', -10, -10],
    ['truncate[10] int -11', 'truncate[10]', 'int', -11, -20],
    ['truncate[10] long 1', 'truncate[10]', 'long', 1n, 0n],
    ['truncate[10] long -1', 'truncate[10]', 'long', -1n, -10n],
    ['truncate[10] long 2^62+5', 'truncate[10]', 'long', 2n ** 62n + 5n, 2n ** 62n - 4n],
    ['truncate[50] decimal 10.65 → 10.50', 'truncate[50]', 'decimal(9,2)', 1065n, 1050n],
    ['truncate[50] decimal -0.05 → -0.50', 'truncate[50]', 'decimal(9,2)', -5n, -50n],
    ['truncate[3] string iceberg', 'truncate[3]', 'string', 'iceberg', 'ice'],
    ['truncate[3] string shorter than W', 'truncate[3]', 'string', 'ic', 'ic'],
    ['truncate[2] string counts code points, not UTF-16 units', 'truncate[2]', 'string', '😀😁😂', '😀😁'],
    ['truncate[3] string of mixed widths', 'truncate[3]', 'string', 'aé😀b', 'aé😀'],
    ['truncate[3] binary', 'truncate[3]', 'binary', unhex('0102030405'), unhex('010203')],
    // year/month/day/hour, from 1970, floored before it
    ['year of a timestamp', 'year', 'timestamp', exampleMicros, 47],
    ['month of a timestamp', 'month', 'timestamp', exampleMicros, 47 * 12 + 10],
    ['day of a timestamp', 'day', 'timestamp', exampleMicros, exampleDay],
    ['hour of a timestamp', 'hour', 'timestamp', exampleMicros, exampleDay * 24 + 22],
    ['year of a date', 'year', 'date', exampleDay, 47],
    ['month of a date', 'month', 'date', exampleDay, 574],
    ['day of a date', 'day', 'date', exampleDay, exampleDay],
    ['day of the epoch', 'day', 'timestamptz', 0n, 0],
    ['day of 1 µs before the epoch', 'day', 'timestamptz', -1n, -1],
    ['hour of 1 µs before the epoch', 'hour', 'timestamptz', -1n, -1],
    ['month of 1 µs before the epoch', 'month', 'timestamp', -1n, -1],
    ['year of 1 µs before the epoch', 'year', 'timestamp', -1n, -1],
    ['hour of 1969-12-31T23:00:00', 'hour', 'timestamp', -microsPerHour, -1],
    ['hour of 1969-12-31T22:59:59.999999', 'hour', 'timestamp', -microsPerHour - 1n, -2],
    ['day of 1969-12-31T00:00:00', 'day', 'timestamp', -microsPerDay, -1],
    ['day of 1969-12-30T23:59:59.999999', 'day', 'timestamp', -microsPerDay - 1n, -2],
    ['month of 1969-01-01', 'month', 'date', -365, -12],
    ['month of 1968-12-31', 'month', 'date', -366, -13],
    ['year of 1900-03-01', 'year', 'date', -25_508, -70],
    ['day of 1 ns before the epoch', 'day', 'timestamp_ns', -1n, -1],
    ['hour of a nanosecond timestamp', 'hour', 'timestamptz_ns', exampleMicros * 1000n + 999n, exampleDay * 24 + 22],
    // void, and null in
    ['void', 'void', 'long', 5n, null],
    ['null in, null out (bucket)', 'bucket[4]', 'int', null, null],
    ['null in, null out (day)', 'day', 'timestamp', null, null],
    ['null in, null out (identity)', 'identity', 'string', null, null],
  ]
  it.each(cases)('%s', (_name, transform, type, value, expected) => {
    expect(applyTransform(transform, type, value)).toEqual(expected)
  })

  it('year and month agree with the JS calendar on random days over ±200,000 years', () => {
    const next = rng(42)
    const span = 200_000 * 366
    for (let i = 0; i < 5000; i++) {
      const day = Math.floor((next() * 2 - 1) * span)
      const date = new Date(day * 86_400_000)
      expect(applyTransform('year', 'date', day)).toBe(date.getUTCFullYear() - 1970)
      expect(applyTransform('month', 'date', day)).toBe((date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth())
      const micros = BigInt(day) * microsPerDay + BigInt(Math.floor(next() * 86_400_000_000))
      expect(applyTransform('day', 'timestamp', micros)).toBe(day)
      expect(applyTransform('month', 'timestamptz', micros)).toBe(applyTransform('month', 'date', day))
    }
  })

  it('bucket spreads values over all N buckets and stays within [0, N)', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) {
      const b = applyTransform('bucket[16]', 'long', BigInt(i) * 7919n - 4000n) as number
      expect(b).toBeGreaterThanOrEqual(0)
      expect(b).toBeLessThan(16)
      seen.add(b)
    }
    expect(seen.size).toBe(16)
  })

  const refused: [string, string, string, SingleValue, string][] = [
    ['hour of a date', 'hour', 'date', 1, ErrorCode.ConfigInvalid],
    ['day of a long', 'day', 'long', 1n, ErrorCode.ConfigInvalid],
    ['truncate of a float', 'truncate[10]', 'float', 1.5, ErrorCode.ConfigInvalid],
    ['truncate of a uuid', 'truncate[4]', 'uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', ErrorCode.ConfigInvalid],
    ['bucket of a double', 'bucket[4]', 'double', 1.5, ErrorCode.ConfigInvalid],
    ['bucket of a boolean', 'bucket[4]', 'boolean', true, ErrorCode.ConfigInvalid],
    ['an unknown transform', 'zorder', 'int', 1, ErrorCode.ConfigInvalid],
    ['a string value for an int source', 'bucket[4]', 'int', '34', ErrorCode.RecordInvalid],
    ['a number for a timestamp beyond 2^53', 'day', 'timestamp', 2 ** 60, ErrorCode.RecordInvalid],
  ]
  it.each(refused)('refuses %s', (_name, transform, type, value, code) => {
    expect(thrown(() => applyTransform(transform, type, value)).code).toBe(code)
  })
})

describe('parseTransform', () => {
  const cases: [string, ParsedTransform][] = [
    ['identity', { kind: 'identity' }],
    ['bucket[16]', { kind: 'bucket', n: 16 }],
    ['truncate[20]', { kind: 'truncate', width: 20 }],
    ['year', { kind: 'year' }],
    ['month', { kind: 'month' }],
    ['day', { kind: 'day' }],
    ['hour', { kind: 'hour' }],
    ['void', { kind: 'void' }],
  ]
  it.each(cases)('%s', (transform, parsed) => {
    expect(parseTransform(transform)).toEqual(parsed)
  })

  it.each(['bucket[0]', 'bucket[-1]', 'bucket', 'bucket(16)', 'truncate[]', 'days', 'Day', 'zorder', ''])('refuses %j with CONFIG_INVALID', (transform) => {
    const err = thrown(() => parseTransform(transform))
    expect(err.code).toBe(ErrorCode.ConfigInvalid)
    expect(err.message).toContain(JSON.stringify(transform))
  })
})

describe('transformResultType', () => {
  const cases: [string, string, string][] = [
    ['identity', 'decimal(9,2)', 'decimal(9,2)'],
    ['truncate[10]', 'string', 'string'],
    ['void', 'long', 'long'],
    ['bucket[4]', 'string', 'int'],
    ['year', 'timestamptz', 'int'],
    ['month', 'date', 'int'],
    ['hour', 'timestamp_ns', 'int'],
    ['day', 'timestamp', 'date'], // as Iceberg Java declares it; the spec table says int (same 4 bytes)
  ]
  it.each(cases)('%s of %s → %s', (transform, source, result) => {
    expect(transformResultType(transform, source)).toBe(result)
  })

  it('refuses a transform the source type does not take', () => {
    expect(thrown(() => transformResultType('hour', 'date')).code).toBe(ErrorCode.ConfigInvalid)
  })
})

describe('projectInclusive (spec: Scan Planning)', () => {
  const midnight = BigInt(exampleDay) * microsPerDay
  const cases: [string, string, string, PredicateOp, SingleValue | null, { op: PredicateOp; value: SingleValue } | undefined][] = [
    ['identity keeps the predicate', 'identity', 'long', 'lt', 5n, { op: 'lt', value: 5n }],
    ['bucket eq', 'bucket[16]', 'int', 'eq', 34, { op: 'eq', value: 3 }],
    ['bucket lt cannot prune', 'bucket[16]', 'int', 'lt', 34, undefined],
    ['truncate eq', 'truncate[10]', 'int', 'eq', 15, { op: 'eq', value: 10 }],
    ['truncate lt tightens to v-1', 'truncate[10]', 'int', 'lt', 10, { op: 'lte', value: 0 }],
    ['truncate lte', 'truncate[10]', 'int', 'lte', 10, { op: 'lte', value: 10 }],
    ['truncate gt tightens to v+1', 'truncate[10]', 'int', 'gt', 9, { op: 'gte', value: 10 }],
    ['truncate gte', 'truncate[10]', 'int', 'gte', 9, { op: 'gte', value: 0 }],
    // lt INT_MIN has no v-1; truncating INT_MIN itself wraps as Java's int arithmetic does, so rows land there too
    ['truncate lt at the int minimum', 'truncate[10]', 'int', 'lt', -(2 ** 31), { op: 'lte', value: 2 ** 31 - 2 }],
    ['truncate decimal', 'truncate[50]', 'decimal(9,2)', 'gte', 1065n, { op: 'gte', value: 1050n }],
    ['truncate string lt', 'truncate[3]', 'string', 'lt', 'iceberg', { op: 'lte', value: 'ice' }],
    ['truncate string gt', 'truncate[3]', 'string', 'gt', 'iceberg', { op: 'gte', value: 'ice' }],
    ['day lt midnight excludes that day', 'day', 'timestamp', 'lt', midnight, { op: 'lte', value: exampleDay - 1 }],
    ['day lte midnight', 'day', 'timestamp', 'lte', midnight, { op: 'lte', value: exampleDay }],
    ['day gt', 'day', 'timestamptz', 'gt', midnight, { op: 'gte', value: exampleDay }],
    ['day eq', 'day', 'timestamptz', 'eq', midnight + 5n, { op: 'eq', value: exampleDay }],
    ['hour gte', 'hour', 'timestamp', 'gte', exampleMicros, { op: 'gte', value: exampleDay * 24 + 22 }],
    ['month of a date lt', 'month', 'date', 'lt', exampleDay, { op: 'lte', value: 574 }],
    ['year gt before the epoch', 'year', 'timestamp', 'gt', -1n, { op: 'gte', value: 0 }],
    ['void cannot prune', 'void', 'int', 'eq', 1, undefined],
    ['an unknown transform cannot prune (spec: readers ignore it)', 'zorder', 'int', 'eq', 1, undefined],
    ['a null literal cannot prune', 'day', 'timestamp', 'eq', null, undefined],
  ]
  it.each(cases)('%s', (_name, transform, type, op, value, expected) => {
    expect(projectInclusive(transform, type, op, value)).toEqual(expected)
  })

  it('never excludes a matching row: random rows and literals, every transform and op', () => {
    const next = rng(99)
    const ops: PredicateOp[] = ['eq', 'lt', 'lte', 'gt', 'gte']
    const holds = (type: string, op: PredicateOp, a: SingleValue, b: SingleValue): boolean => {
      const c = compareValues(type, a, b)
      return op === 'eq' ? c === 0 : op === 'lt' ? c < 0 : op === 'lte' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0
    }
    const smallInt = (): number => Math.floor((next() - 0.5) * 200)
    const micros = (): bigint => BigInt(Math.floor((next() - 0.5) * 4 * 86_400_000_000))
    const letters = ['a', 'b', '😀']
    const word = (): string => Array.from({ length: Math.floor(next() * 5) }, () => letters[Math.floor(next() * letters.length)]!).join('')
    const setups: [string, string, () => SingleValue][] = [
      ['identity', 'int', smallInt],
      ['bucket[8]', 'int', smallInt],
      ['truncate[10]', 'int', smallInt],
      ['truncate[7]', 'long', () => BigInt(smallInt())],
      ['truncate[25]', 'decimal(9,2)', () => BigInt(smallInt())],
      ['truncate[2]', 'string', word],
      ['truncate[2]', 'binary', () => utf8(word())],
      ['year', 'date', () => smallInt() * 5],
      ['month', 'date', smallInt],
      ['day', 'timestamp', micros],
      ['hour', 'timestamptz', micros],
      ['day', 'timestamp_ns', () => micros() * 1000n],
    ]
    for (const [transform, type, generate] of setups) {
      const resultType = transformResultType(transform, type)
      for (let i = 0; i < 400; i++) {
        const op = ops[Math.floor(next() * ops.length)]!
        const literal = generate()
        const row = next() < 0.2 ? literal : generate()
        if (!holds(type, op, row, literal)) continue
        const projected = projectInclusive(transform, type, op, literal)
        if (projected === undefined) continue
        const partition = applyTransform(transform, type, row) as SingleValue
        expect(holds(resultType, projected.op, partition, projected.value), `${transform} ${type}: row ${String(row)} ${op} ${String(literal)}`).toBe(true)
      }
    }
  })
})
