import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../../lib/internal'
import {
  canonicalValue,
  compareValues,
  decodeSingleValue,
  encodeSingleValue,
  parsePrimitiveType,
  type ParsedPrimitiveType,
  type SingleValue,
} from '../../../lib/internal'
import { prng as rng } from '../../support/prng'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/ /g, ''), 'hex'))

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

describe('binary single-value layouts (spec Appendix D)', () => {
  // Expected bytes worked out from the spec table (and Python's struct module), not from lib.
  const cases: [string, SingleValue, string][] = [
    ['boolean', false, '00'],
    ['boolean', true, '01'],
    ['int', 1, '01000000'],
    ['int', -1, 'ffffffff'],
    ['int', 34, '22000000'],
    ['long', 1n, '0100000000000000'],
    ['long', -2n, 'feffffffffffffff'],
    ['long', 34, '2200000000000000'],
    ['float', 1, '0000803f'],
    ['float', 0.1, 'cdcccc3d'],
    ['double', 1, '000000000000f03f'],
    ['double', -0, '0000000000000080'],
    ['date', 17486, '4e440000'], // 2017-11-16
    ['time', 81_068_000_000n, '008307e012000000'], // 22:31:08
    ['timestamp', 1_510_871_468_000_000n, '00c3262d215e0500'], // 2017-11-16T22:31:08
    ['timestamptz', 1_510_871_468_000_000n, '00c3262d215e0500'],
    ['timestamp_ns', 1_510_871_468_000_000_000n, '00b8695f98b1f714'],
    ['string', 'abc', '616263'],
    ['string', 'é€😀', 'c3a9e282acf09f9880'],
    ['string', '', ''],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7'],
    ['uuid', 'F79C3E09-677C-4BBD-A479-3F349CB785E7', 'f79c3e09677c4bbda4793f349cb785e7'],
    ['fixed[4]', unhex('00010203'), '00010203'],
    ['binary', unhex('00ff10'), '00ff10'],
    ['binary', new Uint8Array(0), ''],
    ['decimal(9,2)', 1420n, '058c'], // 14.20
    ['decimal(9, 2)', 0n, '00'],
    ['decimal(9,2)', -1n, 'ff'],
    ['decimal(9,2)', 127n, '7f'],
    ['decimal(9,2)', 128n, '0080'],
    ['decimal(9,2)', -128n, '80'],
    ['decimal(9,2)', -129n, 'ff7f'],
    ['decimal(38,0)', 10n ** 38n - 1n, '4b3b4ca85a86c47a098a223fffffffff'],
  ]

  it.each(cases)('%s %o → %s', (type, value, bytes) => {
    expect(hex(encodeSingleValue(type, value))).toBe(bytes)
    expect(decodeSingleValue(type, unhex(bytes))).toEqual(canonicalValue(type, value))
  })

  it('decodes values as the JS conventions say (int/date number, long and times bigint, uuid lowercase)', () => {
    expect(decodeSingleValue('int', unhex('22000000'))).toBe(34)
    expect(decodeSingleValue('date', unhex('4e440000'))).toBe(17486)
    expect(decodeSingleValue('long', unhex('2200000000000000'))).toBe(34n)
    expect(decodeSingleValue('time', unhex('008307e012000000'))).toBe(81_068_000_000n)
    expect(decodeSingleValue('decimal(9,2)', unhex('058c'))).toBe(1420n)
    expect(decodeSingleValue('uuid', unhex('F79C3E09677C4BBDA4793F349CB785E7'))).toBe('f79c3e09-677c-4bbd-a479-3f349cb785e7')
    expect(decodeSingleValue('boolean', unhex('07'))).toBe(true) // any non-zero byte
  })

  it('reads bounds written before a type promotion by their width (spec: Schema Evolution)', () => {
    expect(decodeSingleValue('long', unhex('ffffffff'))).toBe(-1n) // written as int
    expect(decodeSingleValue('double', unhex('0000803f'))).toBe(1) // written as float
    expect(decodeSingleValue('timestamp', unhex('4e440000'))).toBe(17486n * 86_400_000_000n) // written as date
    expect(decodeSingleValue('timestamp_ns', unhex('ffffffff'))).toBe(-86_400_000_000_000n)
    expect(decodeSingleValue('decimal(12,2)', unhex('058c'))).toBe(1420n) // written as decimal(9,2)
    expect(thrown(() => decodeSingleValue('timestamptz', unhex('4e440000'))).code).toBe(ErrorCode.RecordInvalid) // date → timestamptz is no promotion
  })

  it('decoded binary and fixed values are copies, not views of the manifest buffer', () => {
    const source = unhex('000102030405')
    const decoded = decodeSingleValue('binary', source.subarray(1, 4)) as Uint8Array
    source[2] = 0xff
    expect(hex(decoded)).toBe('010203')
  })
})

describe('round trips of random values', () => {
  const next = rng(20240601)
  const int = (): number => Math.floor(next() * 2 ** 32) - 2 ** 31
  const long = (): bigint => BigInt.asIntN(64, (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32)))
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(next() * 256))
  const text = (): string => {
    const pool = ['a', 'Z', '0', ' ', 'é', 'ß', '€', '中', '\uE000', '\uFFFD', '😀', '𝄞', '\u0000']
    return Array.from({ length: Math.floor(next() * 12) }, () => pool[Math.floor(next() * pool.length)]).join('')
  }
  const decimal = (digits: number): bigint => {
    let n = 0n
    for (let i = 0; i < Math.ceil(next() * digits); i++) n = n * 10n + BigInt(Math.floor(next() * 10))
    return next() < 0.5 ? -n : n
  }
  const uuid = (): string => {
    const h = hex(bytes(16))
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  const generators: [string, () => SingleValue][] = [
    ['boolean', () => next() < 0.5],
    ['int', int],
    ['date', int],
    ['long', long],
    ['time', () => BigInt(Math.floor(next() * 86_400_000_000))],
    ['timestamp', long],
    ['timestamptz', long],
    ['timestamp_ns', long],
    ['timestamptz_ns', long],
    ['float', () => Math.fround((next() - 0.5) * 10 ** Math.floor(next() * 60 - 30))],
    ['double', () => (next() - 0.5) * 10 ** Math.floor(next() * 600 - 300)],
    ['string', text],
    ['uuid', uuid],
    ['fixed[7]', () => bytes(7)],
    ['binary', () => bytes(Math.floor(next() * 40))],
    ['decimal(9,2)', () => decimal(9)],
    ['decimal(38,10)', () => decimal(38)],
  ]

  it.each(generators)('%s: decode(encode(v)) is v, and byte order agrees with compareValues where the layout is order-preserving', (type, generate) => {
    const values = Array.from({ length: 300 }, generate)
    for (const v of values) expect(decodeSingleValue(type, encodeSingleValue(type, v))).toEqual(v)
    // Strings, binary, fixed and uuid encode in their sort order: unsigned byte order must match compareValues.
    if (['string', 'uuid', 'fixed[7]', 'binary'].includes(type)) {
      for (let i = 1; i < values.length; i++) {
        const a = values[i - 1]!
        const b = values[i]!
        const byBytes = Buffer.compare(Buffer.from(encodeSingleValue(type, a)), Buffer.from(encodeSingleValue(type, b)))
        expect(Math.sign(compareValues(type, a, b))).toBe(byBytes)
      }
    }
  })

  it('decimal bytes are minimal: no redundant sign byte', () => {
    for (let i = 0; i < 300; i++) {
      const b = encodeSingleValue('decimal(38,0)', decimal(38))
      if (b.length > 1) {
        const redundant = (b[0] === 0x00 && b[1]! < 0x80) || (b[0] === 0xff && b[1]! >= 0x80)
        expect(redundant).toBe(false)
      }
    }
  })
})

describe('compareValues (Iceberg order)', () => {
  const cases: [string, SingleValue, SingleValue, -1 | 0 | 1][] = [
    ['int', 1, 2, -1],
    ['int', -5, -5, 0],
    ['long', 2n ** 62n, 2n ** 62n + 1n, -1],
    ['long', 3, 2n, 1], // a safe-integer number is a valid long
    ['decimal(9,2)', -1420n, 1420n, -1],
    ['boolean', false, true, -1],
    ['double', -0, 0, -1],
    ['double', Number.POSITIVE_INFINITY, Number.NaN, -1],
    ['double', Number.NaN, Number.NaN, 0],
    ['float', -1.5, Number.NEGATIVE_INFINITY, 1],
    ['string', 'abc', 'abd', -1],
    ['string', 'ab', 'abc', -1],
    ['string', '', 'a', -1],
    // Code-point order: U+FFFD sorts before U+1F600, though JS's UTF-16 `<` says the opposite.
    ['string', '\uFFFD', '😀', -1],
    ['string', '\uE000x', '𝄞', -1],
    ['binary', unhex('7f'), unhex('80'), -1], // unsigned
    ['binary', unhex('0102'), unhex('01'), 1],
    ['fixed[2]', unhex('ff00'), unhex('00ff'), 1],
    // RFC 9562 / Parquet order (unsigned bytes); Java's UUID.compareTo would say the opposite.
    ['uuid', '7d7d081d-7440-441d-9828-26e57c614219', 'b6be8d3b-7bad-4499-8a33-50634dc9e3a9', -1],
  ]

  it.each(cases)('%s: compare(%o, %o) is %i', (type, a, b, expected) => {
    expect(Math.sign(compareValues(type, a, b))).toBe(expected)
    expect(Math.sign(compareValues(type, b, a))).toBe(-expected || 0)
  })

  it('agrees with UTF-8 byte order on random strings with astral characters', () => {
    const next = rng(7)
    const pool = ['a', '\u007f', '\u0080', '\u07ff', '\u0800', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}']
    for (let i = 0; i < 2000; i++) {
      const s = (): string => Array.from({ length: Math.floor(next() * 4) }, () => pool[Math.floor(next() * pool.length)]).join('')
      const a = s()
      const b = s()
      expect(Math.sign(compareValues('string', a, b))).toBe(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
    }
  })
})

describe('parsePrimitiveType', () => {
  const cases: [string, ParsedPrimitiveType][] = [
    ['long', { kind: 'long' }],
    ['timestamptz_ns', { kind: 'timestamptz_ns' }],
    ['decimal(9,2)', { kind: 'decimal', precision: 9, scale: 2 }],
    ['decimal(38, 10)', { kind: 'decimal', precision: 38, scale: 10 }],
    ['fixed[16]', { kind: 'fixed', length: 16 }],
  ]
  it.each(cases)('%s', (type, parsed) => {
    expect(parsePrimitiveType(type)).toEqual(parsed)
  })

  it.each(['varchar', 'Long', 'decimal(39,2)', 'decimal(9)', 'fixed(16)', 'variant', 'geometry(srid:4326)', 'unknown', ''])(
    'refuses %j with CONFIG_INVALID and a list of what it takes',
    (type) => {
      const err = thrown(() => parsePrimitiveType(type))
      expect(err.code).toBe(ErrorCode.ConfigInvalid)
      expect(err.message).toContain(JSON.stringify(type))
    },
  )
})

describe('values that do not fit their type are RECORD_INVALID', () => {
  const cases: [string, string, () => unknown][] = [
    ['int above 2^31-1', 'int', () => encodeSingleValue('int', 2 ** 31)],
    ['int that is not an integer', 'int', () => encodeSingleValue('int', 1.5)],
    ['long beyond 64 bits', 'long', () => encodeSingleValue('long', 1n << 63n)],
    ['long as an unsafe number', 'long', () => encodeSingleValue('long', 2 ** 60)],
    ['string for a long', 'long', () => encodeSingleValue('long', '34')],
    ['fixed of the wrong length', 'fixed[4]', () => encodeSingleValue('fixed[4]', unhex('000102'))],
    ['malformed uuid', 'uuid', () => encodeSingleValue('uuid', 'f79c3e09677c4bbda4793f349cb785e7')],
    ['decimal wider than its precision', 'decimal(3,2)', () => encodeSingleValue('decimal(3,2)', 1000n)],
    ['string with a lone surrogate', 'string', () => encodeSingleValue('string', 'a\uD800b')],
    ['int bound of 3 bytes', 'int', () => decodeSingleValue('int', unhex('010203'))],
    ['long bound of 5 bytes', 'long', () => decodeSingleValue('long', unhex('0102030405'))],
    ['uuid bound of 15 bytes', 'uuid', () => decodeSingleValue('uuid', new Uint8Array(15))],
    ['empty decimal', 'decimal(9,2)', () => decodeSingleValue('decimal(9,2)', new Uint8Array(0))],
    ['decimal bound past its precision', 'decimal(3,2)', () => decodeSingleValue('decimal(3,2)', unhex('03e8'))],
    ['string bound that is not UTF-8', 'string', () => decodeSingleValue('string', unhex('c3'))],
  ]
  it.each(cases)('%s', (_name, type, fn) => {
    const err = thrown(fn)
    expect(err.code).toBe(ErrorCode.RecordInvalid)
    expect(err.message.replace(/, /g, ',')).toContain(type) // the message names the type (Java writes decimal(P, S))
  })
})
