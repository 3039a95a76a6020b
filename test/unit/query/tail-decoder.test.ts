import { describe, expect, it } from 'vitest'
import {
  StringDictionary,
  TailChunk,
  compileColumnDecoder,
  createAvroType,
  createQuoteReader,
  createTradeReader,
  frame,
  quoteSchema,
  quoteTailMapping,
  quoteType,
  quotesTable,
  tailColumns,
  tradeSchema,
  tradeSchemaV1,
  tradeTailMapping,
  tradeType,
  tradesTable,
  wireSchemaId,
  type AvroSchema,
  type ColumnDecoder,
  type TableDesign,
  type TailColumn,
  type TailRecordMapping,
} from '../../../lib/internal'

/**
 * The compiled column decoder against the reference path it replaces (serde reader →
 * TableDesign.row → TailColumn.fromRowValue): on every body, a decoder that succeeds must give
 * exactly the reference's values, and must never succeed where the reference refuses (the tail
 * falls back to the reference on any throw, so refusing more is only slower, never different).
 */

const tradeColumns = tailColumns(tradesTable.schema)
const quoteColumns = tailColumns(quotesTable.schema)
const schemaId = 7

type Outcome = { ok: true; values: unknown[] } | { ok: false }

function reference(read: (body: Buffer) => unknown, design: TableDesign<never>, columns: readonly TailColumn[], message: Buffer): Outcome {
  try {
    const values = design.row(read(message.subarray(5)) as never)
    return { ok: true, values: columns.map((c, k) => c.fromRowValue(values[k])) }
  } catch {
    return { ok: false }
  }
}

/** The dictionaries of a table's string columns (what the tail keeps per topic). */
const dictionariesOf = (columns: readonly TailColumn[]): Array<StringDictionary | undefined> => columns.map((c) => (c.kind === 'string' ? new StringDictionary() : undefined))

/** A compiled decoder with its own dictionaries, and its output with string codes read back. */
function compile(writer: string | AvroSchema, mapping: TailRecordMapping, columns: readonly TailColumn[]): { decoder: ColumnDecoder; dictionaries: Array<StringDictionary | undefined> } | undefined {
  const dictionaries = dictionariesOf(columns)
  const decoder = compileColumnDecoder(writer, mapping, columns, dictionaries)
  return decoder && { decoder, dictionaries }
}

function fast(compiled: { decoder: ColumnDecoder; dictionaries: ReadonlyArray<StringDictionary | undefined> }, width: number, message: Buffer): Outcome {
  const chunk = new TailChunk(4, width)
  try {
    compiled.decoder(message, chunk.columns, 2)
    return { ok: true, values: chunk.columns.map((c, k) => (compiled.dictionaries[k] ? compiled.dictionaries[k]!.value(c[2] as number) : c[2])) }
  } catch {
    return { ok: false }
  }
}

/** Random records of a type, mostly of the asset class the reference reads. */
function randomRecord(type: typeof tradeType): Record<string, unknown> {
  const r = type.random() as unknown as Record<string, unknown>
  if (Math.random() < 0.9) r.asset_class = 'crypto'
  return r
}

const cases = [
  { what: 'trade v2', type: tradeType, writer: tradeSchema, mapping: tradeTailMapping, columns: tradeColumns, design: tradesTable, reader: createTradeReader() },
  { what: 'quote v2', type: quoteType, writer: quoteSchema, mapping: quoteTailMapping, columns: quoteColumns, design: quotesTable, reader: createQuoteReader() },
  { what: 'trade v1 (read as v2)', type: createAvroType(tradeSchemaV1), writer: tradeSchemaV1, mapping: tradeTailMapping, columns: tradeColumns, design: tradesTable, reader: createTradeReader(tradeSchemaV1) },
] as const

describe('compiled tail column decoder', () => {
  for (const c of cases) {
    const decoder = compile(JSON.stringify(c.writer), c.mapping, c.columns)!
    const design = c.design as unknown as TableDesign<never>

    it(`${c.what}: gives the reference path's values on random records, and refuses what it refuses`, () => {
      expect(decoder).toBeDefined()
      let agreed = 0
      for (let i = 0; i < 3000; i++) {
        const message = frame(schemaId, c.type.toBuffer(randomRecord(c.type)))
        const want = reference(c.reader, design, c.columns, message)
        const got = fast(decoder, c.columns.length, message)
        if (got.ok) {
          expect(want.ok).toBe(true)
          expect(got.values).toEqual((want as { values: unknown[] }).values)
          agreed++
        } else if (want.ok) {
          // Refusing a good record is allowed but must stay rare: it costs the reference path.
          agreed--
        }
      }
      // Every record the reference reads, the fast path reads too (random ones are all flat-valid).
      expect(agreed).toBeGreaterThan(2500)
    })

    it(`${c.what}: never accepts a damaged body the reference refuses, nor reads one differently`, () => {
      let checked = 0
      for (let i = 0; i < 3000; i++) {
        const good = frame(schemaId, c.type.toBuffer(randomRecord(c.type)))
        const damaged = Buffer.from(good)
        const how = i % 4
        if (how === 0) damaged[5 + Math.floor(Math.random() * (damaged.length - 5))] = Math.floor(Math.random() * 256)
        const message = how === 1 ? damaged.subarray(0, 5 + Math.floor(Math.random() * (damaged.length - 5))) : how === 2 ? Buffer.concat([damaged, Buffer.from([0])]) : damaged
        if (how === 3) {
          for (let k = 0; k < 3; k++) {
            const at = 5 + Math.floor(Math.random() * (message.length - 5))
            message[at] = message[at]! ^ (1 << Math.floor(Math.random() * 8))
          }
        }
        const want = reference(c.reader, design, c.columns, message)
        const got = fast(decoder, c.columns.length, message)
        if (got.ok) {
          expect(want.ok).toBe(true)
          expect(got.values).toEqual((want as { values: unknown[] }).values)
        }
        if (!want.ok) checked++
      }
      expect(checked).toBeGreaterThan(500)
    })
  }

  it('reads a trade exactly: int64 ids, µs, 28-digit quantities, conditions, unicode', () => {
    const decoder = compile(tradeSchema, tradeTailMapping, tradeColumns)!
    const record = {
      message_id: 'BINANCE:ÉTHUSDT:9223372036854775807',
      trade_id: (1n << 63n) - 1n,
      symbol: 'ÉTHUSDT',
      exchange: 'BINANCE',
      asset_class: 'crypto',
      timestamp: -1n,
      price: '9999999999.99999999',
      quantity: '-99999999999999999999.99999999',
      currency: 'USDT',
      side: 'SELL',
      trade_conditions: ['a', '', 'ç'],
      source_sequence: -(1n << 63n),
      ingestion_timestamp: 1_763_000_000_123_456n,
      platform_sequence: 0n,
      vendor_data: { m: 'true', 'ü': '' },
    }
    const got = fast(decoder, tradeColumns.length, frame(schemaId, tradeType.toBuffer(record)))
    expect(got).toEqual({
      ok: true,
      // Exact integers: numbers where they are safe, bigints beyond.
      values: ['BINANCE', 'ÉTHUSDT', (1n << 63n) - 1n, -1, 999999999999999999n, -9999999999999999999999999999n, 'USDT', 'SELL', 'crypto', 'a\x1f\x1fç', -(1n << 63n), 1_763_000_000_123_456, 0],
    })
  })

  it('takes the reference path for an asset class the reference refuses', () => {
    const decoder = compile(tradeSchema, tradeTailMapping, tradeColumns)!
    const record = { ...(tradeType.random() as object), asset_class: 'equity' }
    expect(fast(decoder, tradeColumns.length, frame(schemaId, tradeType.toBuffer(record))).ok).toBe(false)
  })

  const withField = (schema: AvroSchema, name: string, type: unknown, extra: Record<string, unknown> = {}): AvroSchema => ({
    ...schema,
    fields: (schema.fields as Array<Record<string, unknown>>).map((f) => (f.name === name ? { ...f, type, ...extra } : f)),
  })
  const without = (schema: AvroSchema, name: string): AvroSchema => ({ ...schema, fields: (schema.fields as Array<Record<string, unknown>>).filter((f) => f.name !== name) })

  it.each([
    ['a price of another scale (avsc refuses it; the reference decides)', withField(tradeSchema, 'price', { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 6 })],
    ['an int trade id (promoted by avsc, not by the fast path)', withField(tradeSchema, 'trade_id', 'int')],
    ['a nullable symbol', withField(tradeSchema, 'symbol', ['null', 'string'])],
    ['a field the table needs, missing with no default', without(tradeSchema, 'currency')],
    ['a side enum with other symbols', withField(tradeSchema, 'side', { type: 'enum', name: 'TradeSide', symbols: ['SELL', 'BUY'] })],
  ])('is undefined for a writer schema with %s', (_, writer) => {
    expect(compileColumnDecoder(writer, tradeTailMapping, tradeColumns, dictionariesOf(tradeColumns))).toBeUndefined()
  })

  it('skips writer fields the reader does not have', () => {
    const writer = { ...tradeSchema, fields: [...(tradeSchema.fields as object[]), { name: 'venue_flags', type: { type: 'map', values: 'string' } }] }
    const writerType = createAvroType(writer)
    const decoder = compile(writer, tradeTailMapping, tradeColumns)!
    for (let i = 0; i < 200; i++) {
      const record = { ...randomRecord(tradeType), venue_flags: { a: 'b' } }
      const message = frame(schemaId, writerType.toBuffer(record))
      expect(fast(decoder, tradeColumns.length, message)).toEqual(reference(createTradeReader(writer), tradesTable as unknown as TableDesign<never>, tradeColumns, message))
    }
  })

  it.each([
    ['a framed value', frame(12345, Buffer.from([1, 2])), 12345],
    ['too short for the header', Buffer.from([0, 0, 0]), undefined],
    ['another magic byte', Buffer.from([1, 0, 0, 0, 7, 0]), undefined],
    ['JSON', Buffer.from('{"a":1}'), undefined],
    ['a negative id', Buffer.from([0, 0xff, 0xff, 0xff, 0xff]), undefined],
  ])('wireSchemaId of %s', (_, message, id) => {
    expect(wireSchemaId(message)).toBe(id)
  })
})

describe('tail columns', () => {
  it('store trades as their Iceberg types where DuckDB has them, so that only the list of strings is converted in SQL', () => {
    expect(tradeColumns.map((c) => [c.field.name, c.kind, c.sqlType])).toEqual([
      ['exchange', 'string', 'VARCHAR'],
      ['symbol', 'string', 'VARCHAR'],
      ['trade_id', 'bigint', 'BIGINT'],
      ['event_time', 'bigint', 'TIMESTAMPTZ'],
      ['price', 'decimal', 'DECIMAL(18, 8)'],
      ['quantity', 'decimal', 'DECIMAL(38, 8)'],
      ['currency', 'string', 'VARCHAR'],
      ['side', 'string', 'VARCHAR'],
      ['asset_class', 'string', 'VARCHAR'],
      ['trade_conditions', 'string-list', 'VARCHAR'],
      ['source_sequence', 'bigint', 'BIGINT'],
      ['ingestion_time', 'bigint', 'TIMESTAMPTZ'],
      ['platform_sequence', 'bigint', 'BIGINT'],
    ])
    expect(tradeColumns[1]!.convert('t.c1')).toBe('t.c1')
    expect(tradeColumns[3]!.convert('t.c3')).toBe('t.c3')
    expect(tradeColumns[9]!.convert('c9')).toMatch(/IS NULL OR c9 = ''/)
  })

  it('code each distinct string once, densely from 0', () => {
    const d = new StringDictionary()
    expect(['BTCUSDT', 'ETHUSDT', 'BTCUSDT', '', 'ETHUSDT'].map((s) => d.code(s))).toEqual([0, 1, 0, 2, 1])
    expect(d.code('SOLUSDT')).toBe(3)
    expect([0, 1, 2, 3].map((c) => d.value(c))).toEqual(['BTCUSDT', 'ETHUSDT', '', 'SOLUSDT'])
    expect(d.size).toBe(4)
  })

  it('give a string of up to 12 UTF-8 bytes as DuckDB inlines it, and none for a longer one', () => {
    const d = new StringDictionary()
    const inline = d.inline(d.code('BTCUSDT'))!
    expect(inline.length).toBe(16)
    expect(new DataView(inline.buffer).getUint32(0, true)).toBe(7)
    expect(Buffer.from(inline.subarray(4, 11)).toString()).toBe('BTCUSDT')
    expect([...inline.subarray(11)]).toEqual([0, 0, 0, 0, 0])
    expect(d.inline(d.code('é'.repeat(6)))).not.toBeNull() // 12 bytes
    expect(d.inline(d.code('é'.repeat(7)))).toBeNull() // 14 bytes
    expect(d.inline(d.code(''))![0]).toBe(0)
  })

  it('code a value from its UTF-8 bytes as from its string, for cached, long and invalid byte sequences', () => {
    const d = new StringDictionary()
    const body = Buffer.concat([Buffer.from('xxBTCUSDTyy'), Buffer.from([0xc3, 0x28]), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from('é'.repeat(40))])
    expect(d.codeOfUtf8(body, 2, 9)).toBe(d.code('BTCUSDT'))
    expect(d.codeOfUtf8(Buffer.from('BTCUSDT'), 0, 7)).toBe(0)
    // Two invalid sequences that decode alike share the code of what they decode to.
    const bad1 = d.codeOfUtf8(body, 11, 13)
    expect(d.value(bad1)).toBe(Buffer.from([0xc3, 0x28]).toString('utf8'))
    expect(d.codeOfUtf8(Buffer.from([0xc3, 0x28]), 0, 2)).toBe(bad1)
    expect(d.value(d.codeOfUtf8(body, 13, 16))).toBe(Buffer.from([0xe2, 0x28, 0xa1]).toString('utf8'))
    const long = d.codeOfUtf8(body, 16, body.length)
    expect(d.value(long)).toBe('é'.repeat(40))
    expect(d.codeOfUtf8(body, 16, body.length)).toBe(long)
    expect(d.codeOfUtf8(body, 0, 0)).toBe(d.code(''))
  })

  it('code random strings from bytes exactly as from text', () => {
    const d = new StringDictionary()
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(Math.random() * 12) }, () => (Math.random() < 0.8 ? 65 + Math.floor(Math.random() * 4) : Math.floor(Math.random() * 256))))
      const code = d.codeOfUtf8(bytes, 0, bytes.length)
      expect(d.value(code)).toBe(bytes.toString('utf8'))
      expect(d.code(bytes.toString('utf8'))).toBe(code)
    }
  })

  it.each([
    ['price', '67012.5', 6701250000000],
    ['price', '-0.00000001', -1],
    ['price', '99999999.99999999', 9999999999999999n],
    ['quantity', '12345678901234567890.12345678', 1234567890123456789012345678n],
    ['trade_conditions', [], null],
    ['trade_conditions', ['a', 'b'], 'a\x1fb'],
    ['trade_id', 5n, 5],
    ['trade_id', 2n ** 53n, 2n ** 53n],
    ['trade_id', -(2n ** 53n) + 1n, -(2 ** 53) + 1],
    ['symbol', 'BTCUSDT', 'BTCUSDT'],
  ])('store the row value of %s: %s', (name, value, stored) => {
    expect(tradeColumns.find((c) => c.field.name === name)!.fromRowValue(value)).toEqual(stored)
  })

  it('refuse a decimal that would need rounding', () => {
    expect(() => tradeColumns[4]!.fromRowValue('1.123456789')).toThrow(/will not round/)
  })

  it('count a chunk row only once it is committed, and say when the chunk is full', () => {
    const chunk = new TailChunk(2, 3)
    chunk.columns[0]![0] = 'half-written'
    expect(chunk.length).toBe(0)
    chunk.commit(1, 10)
    chunk.commit(1, 12)
    expect(chunk.full).toBe(true)
    expect([chunk.partitions, chunk.offsets]).toEqual([[1, 1], [10, 12]])
  })
})
