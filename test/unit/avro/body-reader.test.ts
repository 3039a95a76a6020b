import * as avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { AvroBodyReader, createAvroType, decimalUnscaled, encodeDecimal, flatRecordFields, isWorkbenchError, tradeSchema, tradeSchemaV1 } from '../../../lib/internal'

const int64Max = (1n << 63n) - 1n
const int64Min = -(1n << 63n)
const longType = createAvroType({ type: 'record', name: 'L', fields: [{ name: 'v', type: 'long' }] })
const encodeLong = (v: bigint): Buffer => longType.toBuffer({ v })
const reader = (body: Buffer): AvroBodyReader => new AvroBodyReader().reset(body, 0)

const refused = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(isWorkbenchError(err)).toBe(true)
    return (err as Error).message
  }
  throw new Error('expected RECORD_INVALID')
}

describe('AvroBodyReader', () => {
  it.each([0n, 1n, -1n, 63n, -64n, 64n, 2n ** 31n, -(2n ** 31n), 2n ** 52n - 1n, -(2n ** 52n), 2n ** 52n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 1_763_000_000_123_456n, int64Max, int64Min])('reads the long %s as avsc wrote it', (v) => {
    const body = encodeLong(v)
    const r = reader(body)
    expect(r.long()).toBe(v)
    r.finish()
  })

  it('reads random longs over the int64 range exactly', () => {
    for (let i = 0; i < 2000; i++) {
      const bits = BigInt(Math.floor(Math.random() * 64))
      const v = BigInt.asIntN(64, BigInt(Math.floor(Math.random() * 2 ** 53)) << (bits > 10n ? bits - 10n : 0n)) * (Math.random() < 0.5 ? -1n : 1n)
      const clamped = v > int64Max ? int64Max : v < int64Min ? int64Min : v
      expect(reader(encodeLong(clamped)).long()).toBe(clamped)
    }
  })

  it('refuses what avsc would misread or reject: past 64 bits, truncated, trailing bytes', () => {
    expect(refused(() => reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).long())).toMatch(/64 bits/)
    expect(refused(() => reader(Buffer.from([0x80, 0x80])).long())).toMatch(/ended/)
    expect(refused(() => reader(Buffer.from([0x02, 0x00])).finish())).toMatch(/2 bytes left/)
    const r = reader(Buffer.from([0x02, 0x00]))
    r.long()
    expect(refused(() => r.finish())).toMatch(/1 bytes left/)
    // A length may not be negative, nor longer than what is left.
    expect(refused(() => reader(Buffer.from([0x01])).string())).toMatch(/negative/)
    expect(refused(() => reader(Buffer.from([0x08, 0x61])).string())).toMatch(/ended/)
    expect(refused(() => reader(encodeLong(2n ** 60n)).safeLong())).toMatch(/2\^52/)
  })

  it('reads strings as UTF-8, invalid sequences replaced as Buffer does', () => {
    const s = avro.Type.forSchema('string')
    for (const text of ['', 'BTCUSDT', 'çà ∑ 😀', 'x'.repeat(300)]) expect(reader(s.toBuffer(text)).string()).toBe(text)
    expect(reader(Buffer.from([0x04, 0xc3, 0x28])).string()).toBe(Buffer.from([0xc3, 0x28]).toString('utf8'))
  })

  it('skips a string to the byte after it', () => {
    const r = reader(Buffer.concat([avro.Type.forSchema('string').toBuffer('BINANCE:BTCUSDT:1'), encodeLong(-3n)]))
    r.skipString()
    expect(r.long()).toBe(-3n)
    r.finish()
  })

  it.each([
    ['0', 18, 8],
    ['67012.50000000', 18, 8],
    ['-0.00000001', 18, 8],
    ['9999999999.99999999', 18, 8],
    ['-9999999999.99999999', 18, 8],
    ['1234.5', 28, 8],
    ['99999999999999999999.99999999', 28, 8],
    ['-99999999999999999999.99999999', 28, 8],
    ['1407374.88355328', 28, 8], // 2^47 unscaled: just past the 6-byte fast path
    ['-1407374.88355328', 28, 8],
  ])('reads decimal %s (%i, %i) as its unscaled integer', (text, precision, scale) => {
    const bytes = encodeDecimal(text, precision, scale)
    const body = Buffer.concat([encodeLong(BigInt(bytes.length)), bytes])
    const r = reader(body)
    expect(r.decimalUnscaled(precision)).toBe(decimalUnscaled(text, precision, scale))
    r.finish()
  })

  it('refuses an empty decimal and one with more digits than its precision', () => {
    expect(refused(() => reader(Buffer.from([0x00])).decimalUnscaled(18))).toMatch(/empty/)
    const big = encodeDecimal('99999999999999999999.99999999', 28, 8)
    expect(refused(() => reader(Buffer.concat([encodeLong(BigInt(big.length)), big])).decimalUnscaled(18))).toMatch(/18 digits/)
  })

  it('checks enum indexes and block counts against what is there', () => {
    expect(reader(Buffer.from([0x02])).enumIndex(2)).toBe(1)
    expect(refused(() => reader(Buffer.from([0x04])).enumIndex(2))).toMatch(/enum index 2/)
    expect(refused(() => reader(Buffer.from([0x01])).enumIndex(2))).toMatch(/enum index -1/)
    // A negative count is followed by the block's size in bytes.
    const r = reader(Buffer.from([0x03, 0x04, 0x00, 0x00]))
    expect(r.blockCount(1)).toBe(2)
    expect(r.pos).toBe(2)
    // 3.6 billion items in 2 bytes: refused before anything is allocated.
    expect(refused(() => reader(Buffer.concat([encodeLong(3_600_000_000n), Buffer.alloc(2)])).blockCount(1))).toMatch(/3600000000 items/)
  })
})

describe('flatRecordFields', () => {
  it('describes trade v2 and v1 field by field, with defaults', () => {
    const v2 = flatRecordFields(tradeSchema)!
    expect(v2.map((f) => [f.name, f.type.kind])).toEqual([
      ['message_id', 'string'],
      ['trade_id', 'long'],
      ['symbol', 'string'],
      ['exchange', 'string'],
      ['asset_class', 'string'],
      ['timestamp', 'long'],
      ['price', 'decimal'],
      ['quantity', 'decimal'],
      ['currency', 'string'],
      ['side', 'enum'],
      ['trade_conditions', 'array'],
      ['source_sequence', 'long'],
      ['ingestion_timestamp', 'long'],
      ['platform_sequence', 'long'],
      ['vendor_data', 'map'],
    ])
    expect(v2.find((f) => f.name === 'price')!.type).toEqual({ kind: 'decimal', precision: 18, scale: 8 })
    expect(v2.find((f) => f.name === 'timestamp')!.type).toEqual({ kind: 'long', logicalType: 'timestamp-micros' })
    expect(v2.find((f) => f.name === 'platform_sequence')).toMatchObject({ hasDefault: true, default: 0 })
    expect(flatRecordFields(JSON.stringify(tradeSchemaV1))!.length).toBe(12)
  })

  it.each([
    ['a union', { type: ['null', 'string'] }],
    ['a nested record', { type: 'record', name: 'N', fields: [] }],
    ['fixed', { type: 'fixed', name: 'F', size: 4 }],
    ['a double', 'double'],
    ['a uuid string', { type: 'string', logicalType: 'uuid' }],
    ['an array of longs', { type: 'array', items: 'long' }],
    ['a named type reference', 'k2.market.TradeSide'],
  ])('is undefined for a record with %s', (_, type) => {
    expect(flatRecordFields({ type: 'record', name: 'R', fields: [{ name: 'f', type }] })).toBeUndefined()
  })

  it('is undefined for text that is not a record schema', () => {
    expect(flatRecordFields('not json')).toBeUndefined()
    expect(flatRecordFields('"string"')).toBeUndefined()
  })
})
