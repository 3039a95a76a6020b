import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { isWorkbenchError, projectRoot, type Quote, type Trade } from '../../../lib/internal'
import {
  createTradeReader,
  decodeQuote,
  decodeTrade,
  encodeQuote,
  encodeTrade,
  frame,
  quoteSchema,
  quoteType,
  tradeSchema,
  tradeSchemaV1,
  tradeType,
  unframe,
} from '../../../lib/internal'

const int64Max = (1n << 63n) - 1n
const int64Min = -(1n << 63n)

const trade: Trade = {
  messageId: 'BINANCE:BTCUSDT:3600000123',
  tradeId: 3_600_000_123n,
  symbol: 'BTCUSDT',
  exchange: 'BINANCE',
  assetClass: 'crypto',
  timestampMicros: 1_717_000_000_123_000n,
  price: '67012.5',
  quantity: '0.0015',
  currency: 'USDT',
  side: 'BUY',
  tradeConditions: [],
  sourceSequence: 3_600_000_123n,
  ingestionTimestampMicros: 1_717_000_000_125_431n,
  platformSequence: 42n,
  vendorData: {},
}

const quote: Quote = {
  messageId: 'BINANCE:ETHUSDT:400900217',
  updateId: 400_900_217n,
  symbol: 'ETHUSDT',
  exchange: 'BINANCE',
  assetClass: 'crypto',
  timestampMicros: 1_717_000_000_200_000n,
  bidPrice: '3765.43',
  bidSize: '31.21',
  askPrice: '3765.44',
  askSize: '40.66',
  currency: 'USDT',
  ingestionTimestampMicros: 1_717_000_000_201_317n,
  platformSequence: 43n,
  vendorData: { s: 'ETHUSDT' },
}

/** The field pairs of each record, written out here so a swapped mapping in lib fails a test. */
const tradeFields: [keyof Trade, string][] = [
  ['messageId', 'message_id'], ['tradeId', 'trade_id'], ['symbol', 'symbol'], ['exchange', 'exchange'], ['assetClass', 'asset_class'],
  ['timestampMicros', 'timestamp'], ['price', 'price'], ['quantity', 'quantity'], ['currency', 'currency'], ['side', 'side'],
  ['tradeConditions', 'trade_conditions'], ['sourceSequence', 'source_sequence'], ['ingestionTimestampMicros', 'ingestion_timestamp'],
  ['platformSequence', 'platform_sequence'], ['vendorData', 'vendor_data'],
]
const quoteFields: [keyof Quote, string][] = [
  ['messageId', 'message_id'], ['updateId', 'update_id'], ['symbol', 'symbol'], ['exchange', 'exchange'], ['assetClass', 'asset_class'],
  ['timestampMicros', 'timestamp'], ['bidPrice', 'bid_price'], ['bidSize', 'bid_size'], ['askPrice', 'ask_price'], ['askSize', 'ask_size'],
  ['currency', 'currency'], ['ingestionTimestampMicros', 'ingestion_timestamp'], ['platformSequence', 'platform_sequence'], ['vendorData', 'vendor_data'],
]

function thrown(fn: () => unknown): Error & { code?: string; retryable?: boolean } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

describe('trade codec', () => {
  it.each([
    { what: 'a typical trade', trade, expected: { price: '67012.50000000', quantity: '0.00150000' } },
    {
      what: 'int64 extremes in every long',
      trade: { ...trade, tradeId: int64Max, timestampMicros: int64Max, sourceSequence: int64Min, ingestionTimestampMicros: int64Min, platformSequence: 0n },
      expected: { price: '67012.50000000', quantity: '0.00150000' },
    },
    {
      what: 'conditions, vendor data and the widest decimals',
      trade: { ...trade, side: 'SELL' as const, tradeConditions: ['I', 'X'], vendorData: { M: 'true', e: 'trade' }, price: '9999999999.99999999', quantity: '99999999999999999999.99999999' },
      expected: { price: '9999999999.99999999', quantity: '99999999999999999999.99999999' },
    },
    { what: 'unicode strings', trade: { ...trade, symbol: '币安BTC', vendorData: { 'ключ': 'значение ✓' } }, expected: { price: '67012.50000000', quantity: '0.00150000' } },
  ])('round-trips $what, decimals canonical', ({ trade: t, expected }) => {
    expect(decodeTrade(encodeTrade(t))).toEqual({ ...t, ...expected })
  })

  it.each([
    { what: 'too many decimals', change: { price: '67012.123456789' }, message: /price: "67012\.123456789" has 9 fractional digits/ },
    { what: 'a price as a JS number', change: { price: 67012.5 as unknown as string }, message: /price: expected an exact decimal string.*got number 67012\.5/ },
    { what: 'a quantity too large for decimal(28,8)', change: { quantity: '123456789012345678901' }, message: /quantity: "123456789012345678901" has 21 integer digits/ },
    { what: 'a trade id as a JS number', change: { tradeId: 5 as unknown as bigint }, message: /trade_id: number 5 is not a valid long \(bigint\)/ },
    { what: 'a timestamp beyond int64', change: { timestampMicros: int64Max + 1n }, message: /timestamp: 9223372036854775808n is not a valid long/ },
    { what: 'an unknown side', change: { side: 'HOLD' as 'BUY' }, message: /side: "HOLD" is not one of BUY, SELL/ },
  ])('refuses $what with RECORD_INVALID naming the field', ({ change, message }) => {
    const err = thrown(() => encodeTrade({ ...trade, ...change }))
    expect(isWorkbenchError(err, 'RECORD_INVALID')).toBe(true)
    expect(err.retryable).toBe(false)
    expect(err.message).toMatch(/^trade BINANCE:BTCUSDT:3600000123 does not fit k2\.market\.Trade: /)
    expect(err.message).toMatch(message)
  })

  it('refuses to decode a record claiming another asset class', () => {
    const body = tradeType.toBuffer({ ...tradeType.fromBuffer(encodeTrade(trade)), asset_class: 'equity' })
    expect(() => decodeTrade(body)).toThrow(/asset_class "equity"; the workbench reads only "crypto"/)
  })

  it.each([
    { what: 'directly', read: (body: Buffer) => decodeTrade(body) },
    { what: 'through a resolver', read: createTradeReader(tradeSchema) },
  ])('refuses a map block count the body cannot hold ($what), instead of running out of memory', ({ read }) => {
    const body = encodeTrade(trade) // vendor_data {} is its last byte: a 0 block count
    const corrupt = Buffer.concat([body.subarray(0, -1), avro.Type.forSchema('long').toBuffer(1_000_000_000)])
    const err = thrown(() => read(corrupt))
    expect(isWorkbenchError(err, 'RECORD_INVALID')).toBe(true)
    expect(err.message).toMatch(/map block claims 1000000000 items but only 0 bytes are left/)
  })

  it.each([
    { what: 'an empty body', body: Buffer.alloc(0) },
    { what: 'a truncated body', body: encodeTrade(trade).subarray(0, 40) },
    { what: 'trailing bytes', body: Buffer.concat([encodeTrade(trade), Buffer.from([0])]) },
  ])('refuses $what with RECORD_INVALID', ({ body }) => {
    const err = thrown(() => decodeTrade(body))
    expect(isWorkbenchError(err, 'RECORD_INVALID')).toBe(true)
    expect(err.message).toMatch(/-byte body is not a k2\.market\.Trade v2 record/)
  })
})

describe('quote codec', () => {
  it.each([
    { what: 'a typical quote', quote, expected: { bidPrice: '3765.43000000', bidSize: '31.21000000', askPrice: '3765.44000000', askSize: '40.66000000' } },
    {
      what: 'extremes',
      quote: { ...quote, updateId: int64Max, platformSequence: int64Min, bidPrice: '0', bidSize: '0.00000001', askPrice: '9999999999.99999999', askSize: '99999999999999999999.99999999', vendorData: {} },
      expected: { bidPrice: '0.00000000', bidSize: '0.00000001', askPrice: '9999999999.99999999', askSize: '99999999999999999999.99999999' },
    },
  ])('round-trips $what', ({ quote: q, expected }) => {
    expect(decodeQuote(encodeQuote(q))).toEqual({ ...q, ...expected })
  })

  it('names the field that does not fit', () => {
    expect(() => encodeQuote({ ...quote, askSize: '1e3' })).toThrow(/^quote BINANCE:ETHUSDT:400900217 does not fit k2\.market\.Quote: ask_size: "1e3" is not a plain decimal number/)
  })
})

describe('random records (type.random())', () => {
  /** A random record of `type`, every long replaced by a random int64 (avsc's random longs stay below 2^31). */
  function randomRecord(type: avro.Type): Record<string, unknown> {
    const record = type.random() as unknown as Record<string, unknown>
    for (const field of (type as avro.types.RecordType).fields) {
      if (field.type.typeName === 'abstract:long') record[field.name] = randomBytes(8).readBigInt64LE()
    }
    record.asset_class = 'crypto'
    return record
  }

  it.each([
    { name: 'trade', type: tradeType, decode: decodeTrade as (b: Buffer) => object, encode: encodeTrade as (r: never) => Buffer, fields: tradeFields as [string, string][] },
    { name: 'quote', type: quoteType, decode: decodeQuote as (b: Buffer) => object, encode: encodeQuote as (r: never) => Buffer, fields: quoteFields as [string, string][] },
  ])('$name: 500 random records decode field for field and re-encode to the same bytes', ({ type, decode, encode, fields }) => {
    for (let i = 0; i < 500; i++) {
      const record = randomRecord(type)
      const body = type.toBuffer(record)
      const decoded = decode(body) as Record<string, unknown>
      for (const [camel, snake] of fields) expect(decoded[camel], `${snake} of ${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`).toEqual(record[snake])
      expect(Object.keys(decoded).sort()).toEqual(fields.map(([camel]) => camel).sort())
      expect(encode(decoded as never).equals(body)).toBe(true)
    }
  })
})

describe('schema evolution: trade v1 data read with the v2 reader', () => {
  const fixture = fs.readFileSync(path.join(projectRoot, 'test/fixtures/avro/trade-v1.bin'))
  const expected: Trade = {
    messageId: 'BINANCE:BTCUSDT:3600000123',
    tradeId: 3_600_000_123n,
    symbol: 'BTCUSDT',
    exchange: 'BINANCE',
    assetClass: 'crypto',
    timestampMicros: 1_717_000_000_123_000n,
    price: '67012.50000000',
    quantity: '0.00150000',
    currency: 'USDT',
    side: 'SELL',
    tradeConditions: [],
    sourceSequence: 3_600_000_123n,
    ingestionTimestampMicros: 1_717_000_000_125_431n,
    platformSequence: 0n,
    vendorData: {},
  }

  it('fills the fields v2 added with their defaults ([], 0, {})', () => {
    expect(decodeTrade(fixture, tradeSchemaV1)).toEqual(expected)
  })

  it('takes the writer schema as the registry returns it (text)', () => {
    expect(createTradeReader(JSON.stringify(tradeSchemaV1))(fixture)).toEqual(expected)
  })

  it('cannot read v1 bytes as if v2 had written them: a clear error, not an out-of-memory crash', () => {
    // v2 expects trade_conditions where v1 wrote source_sequence: 3600000123 read as an item count.
    const err = thrown(() => decodeTrade(fixture))
    expect(isWorkbenchError(err, 'RECORD_INVALID')).toBe(true)
    expect(err.message).toMatch(/array block claims 3600000123 items but only 8 bytes are left/)
  })

  it.each([
    { what: 'a quote schema', writer: quoteSchema, message: /k2\.market\.Quote cannot be read as k2\.market\.Trade v2/ },
    {
      what: 'a trade whose price has another decimal scale',
      writer: { ...tradeSchema, fields: (tradeSchema.fields as { name: string }[]).map((f) => (f.name === 'price' ? { ...f, type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 2 } } : f)) },
      message: /k2\.market\.Trade cannot be read as k2\.market\.Trade v2/,
    },
  ])('refuses $what as writer with SCHEMA_INCOMPATIBLE', ({ writer, message }) => {
    const err = thrown(() => createTradeReader(writer))
    expect(isWorkbenchError(err, 'SCHEMA_INCOMPATIBLE')).toBe(true)
    expect(err.message).toMatch(message)
  })

  it.each([
    { name: 'trade-v1', schema: tradeSchemaV1 },
    { name: 'trade-v2', schema: tradeSchema },
    { name: 'quote-v2', schema: quoteSchema },
  ])('$name.avsc: namespace k2.market and a doc on the record and every field', ({ schema }) => {
    expect(schema.namespace).toBe('k2.market')
    expect(schema.doc).toEqual(expect.stringMatching(/\w/))
    for (const field of schema.fields as { name: string; doc?: string }[]) expect(field.doc, field.name).toEqual(expect.stringMatching(/\w/))
  })
})

describe('Confluent wire format', () => {
  it('frames as magic byte 0, big-endian schema id, body; unframe inverts it', () => {
    const body = encodeTrade(trade)
    const message = frame(0x01020304, body)
    expect(message.subarray(0, 5).toString('hex')).toBe('0001020304')
    expect(message.subarray(5).equals(body)).toBe(true)
    const { schemaId, body: back } = unframe(message)
    expect(schemaId).toBe(0x01020304)
    expect(decodeTrade(back)).toEqual(decodeTrade(body))
  })

  it.each([
    { what: 'an empty message', message: Buffer.alloc(0), error: /message of 0 bytes is too short.*at least 5/ },
    { what: 'a header cut short', message: Buffer.from('00000001', 'hex'), error: /message of 4 bytes is too short/ },
    { what: 'another magic byte', message: Buffer.from('0100000001ff', 'hex'), error: /starts with byte 0x01, expected the Confluent magic byte 0x00/ },
    { what: 'JSON', message: Buffer.from('{"price":"1"}'), error: /byte 0x7b.*this looks like JSON/ },
    { what: 'a negative schema id', message: Buffer.from('00ffffffff00', 'hex'), error: /schema id -1; registry ids are never negative/ },
  ])('unframe refuses $what with RECORD_INVALID', ({ message, error }) => {
    const err = thrown(() => unframe(message))
    expect(isWorkbenchError(err, 'RECORD_INVALID')).toBe(true)
    expect(err.retryable).toBe(false)
    expect(err.message).toMatch(error)
  })

  it.each([-1, 2 ** 31, 1.5, Number.NaN])('frame refuses schema id %s', (id) => {
    expect(() => frame(id, Buffer.alloc(1))).toThrow(/does not fit the wire format's 4-byte id/)
  })
})
