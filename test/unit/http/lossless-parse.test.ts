import { isSafeNumber, parse as parseWithLibrary } from 'lossless-json'
import { describe, expect, it } from 'vitest'
import { parseLosslessJson, quoteUnsafeIntegers } from '../../../lib/internal'

/** The reference: lossless-json with the number rule parseJson had before the fast path. */
const reference = (text: string): unknown =>
  parseWithLibrary(text, undefined, (v) => (isSafeNumber(v) ? Number(v) : /^-?\d+$/.test(v) ? BigInt(v) : Number(v)))

describe('parseLosslessJson', () => {
  it.each([
    ['a snapshot id', '{"current-snapshot-id":1923415589911755276}'],
    ['a negative unsafe integer and the safe bounds', '[-9007199254740993, 9007199254740991, -9007199254740991, 9007199254740992]'],
    ['digits inside strings stay strings', '{"a":"x:12345678901234567890","b":"[12345678901234567890,","k2.kafka.offsets":"0:602659,1:1257588"}'],
    ['escaped quotes before a number', '{"a":"say \\"hi\\", 1","b":12345678901234567890,"c":"\\\\","d":-12345678901234567890}'],
    ['decimals and exponents with many digits', '{"a":1.2345678901234567e3,"b":12345678901234567.5,"c":1e12345678901234567,"d":0.12345678901234567}'],
    ['whitespace around tokens', '{ "a" :\n  12345678901234567890 ,\t"b": [ 1 ,\n 12345678901234567891 ] }'],
    ['a bare unsafe integer', ' 12345678901234567890 '],
    ['nothing unsafe', '{"a":[1,2.5,"x",null,true,false,{"b":{}}]}'],
    ['a string that holds the marker character', '{"a":"\\u0001123","b":12345678901234567890}'],
    ['unicode around numbers', '{"µs":"é","id":4272260463162581864}'],
  ])('%s: the same value as lossless-json', (_name, text) => {
    expect(parseLosslessJson(text)).toEqual(reference(text))
  })

  it('reads Iceberg table metadata as lossless-json does (ids exact, summaries strings)', () => {
    const snapshots = Array.from({ length: 300 }, (_, i) => ({
      'sequence-number': i + 1,
      'snapshot-id': `§${(4272260463162581864n + BigInt(i) * 7919n).toString()}§`,
      'parent-snapshot-id': i === 0 ? undefined : `§${(4272260463162581864n + BigInt(i - 1) * 7919n).toString()}§`,
      'timestamp-ms': 1796380624445 + i * 30_000,
      summary: { operation: 'append', 'k2.kafka.offsets': `0:${602659 + i},1:1257588`, 'added-records': String(1000 + i) },
      'manifest-list': `s3://warehouse/market/trades/metadata/snap-${4272260463162581864n + BigInt(i)}-1-c0834eef.avro`,
    }))
    // Written with the ids as bare integer literals, as the catalog writes them.
    const text = JSON.stringify({ metadata: { 'format-version': 2, snapshots, 'current-snapshot-id': snapshots.at(-1)!['snapshot-id'] } }).replace(/"§(\d+)§"/g, '$1')
    const fast = parseLosslessJson(text) as { metadata: { snapshots: Array<Record<string, unknown>>; 'current-snapshot-id': unknown } }
    expect(fast).toEqual(reference(text))
    expect(fast.metadata['current-snapshot-id']).toBe(4272260463162581864n + 299n * 7919n)
    expect(typeof fast.metadata.snapshots[5]!['timestamp-ms']).toBe('number')
  })

  it('rejects malformed text as JSON.parse does', () => {
    expect(() => parseLosslessJson('{"a":12345678901234567890')).toThrow(SyntaxError)
    expect(() => parseLosslessJson('{"a":}')).toThrow(SyntaxError)
  })
})

describe('quoteUnsafeIntegers', () => {
  it('leaves text with no unsafe integer alone', () => {
    expect(quoteUnsafeIntegers('{"a":9007199254740991,"b":"12345678901234567890"}')).toBeUndefined()
  })
  it('marks only the literals outside strings', () => {
    expect(quoteUnsafeIntegers('{"s":",12345678901234567890","n":12345678901234567890}')).toBe('{"s":",12345678901234567890","n":"\\u000112345678901234567890"}')
  })
})
