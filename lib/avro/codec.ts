import * as fs from 'node:fs'
import { writeQuoteV2, writeTradeV2 } from './record-writer'
import * as path from 'node:path'
import * as avro from 'avsc'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { Quote, Trade, TradeSide } from '../market/index'
import { createAvroType, type AvroSchema } from './avsc-types'
import { DecimalType } from './decimal'

/**
 * Avro binary bodies (no framing) for the workbench's market records. Trade and Quote are
 * camelCase in TypeScript and snake_case in Avro; longs and timestamps are bigint; decimals are
 * exact strings, canonical on read (`"67012.50000000"`).
 */

/** Decodes one Avro body written with a fixed writer schema into the current (v2) record. */
export type RecordReader<T> = (body: Buffer) => T

function loadSchema(file: string): AvroSchema {
  return deepFreeze(JSON.parse(fs.readFileSync(path.join(__dirname, 'schemas', file), 'utf8')) as AvroSchema)
}

/**
 * The committed schemas, exactly as in `lib/avro/schemas/*.avsc`. Register these, not
 * `type.schema()`: avsc's export drops the docs and the timestamp-micros logical type.
 */
export const tradeSchema: AvroSchema = loadSchema('trade-v2.avsc')
/** Trade v1: the earlier shape a trade-v2 reader must still read (BACKWARD). Nothing writes it. */
export const tradeSchemaV1: AvroSchema = loadSchema('trade-v1.avsc')
/** Quote v2 (Binance bookTicker). */
export const quoteSchema: AvroSchema = loadSchema('quote-v2.avsc')

/** The avsc type of trade v2, the reader every trade is decoded into (`tradeType.random()` for tests). */
export const tradeType: avro.Type = createAvroType(tradeSchema)
/** The avsc type of quote v2. */
export const quoteType: avro.Type = createAvroType(quoteSchema)

/** Trade → Avro binary body of trade v2. Throws RECORD_INVALID naming each field that does not fit. */
export function encodeTrade(trade: Trade): Buffer {
  try {
    return writeTradeV2(trade)
  } catch {
    // The fast writer refused something: let avsc say precisely which field and why.
    return encode(tradeType, toAvroTrade(trade), `trade ${trade.messageId}`)
  }
}

/** Avro body → Trade; `writerSchema` (default: trade v2) is the schema the body was written with. */
export function decodeTrade(body: Buffer, writerSchema?: string | AvroSchema): Trade {
  return createTradeReader(writerSchema)(body)
}

/**
 * A decoder for trade bodies written with `writerSchema`, resolved once to trade v2 (fields v2
 * added take their defaults). Build one per writer schema; `decodeTrade` builds one per call.
 */
export function createTradeReader(writerSchema?: string | AvroSchema): RecordReader<Trade> {
  return createReader(tradeType, writerSchema, fromAvroTrade)
}

/** Quote → Avro binary body of quote v2. Throws RECORD_INVALID naming each field that does not fit. */
export function encodeQuote(quote: Quote): Buffer {
  try {
    return writeQuoteV2(quote)
  } catch {
    // The fast writer refused something: let avsc say precisely which field and why.
    return encode(quoteType, toAvroQuote(quote), `quote ${quote.messageId}`)
  }
}

/** Avro body → Quote; `writerSchema` (default: quote v2) is the schema the body was written with. */
export function decodeQuote(body: Buffer, writerSchema?: string | AvroSchema): Quote {
  return createQuoteReader(writerSchema)(body)
}

/** A decoder for quote bodies written with `writerSchema`, resolved once to quote v2. */
export function createQuoteReader(writerSchema?: string | AvroSchema): RecordReader<Quote> {
  return createReader(quoteType, writerSchema, fromAvroQuote)
}

// --- Avro records (snake_case) ------------------------------------------------------------------

interface AvroTrade {
  message_id: string
  trade_id: bigint
  symbol: string
  exchange: string
  asset_class: string
  timestamp: bigint
  price: string
  quantity: string
  currency: string
  side: TradeSide
  trade_conditions: readonly string[]
  source_sequence: bigint
  ingestion_timestamp: bigint
  platform_sequence: bigint
  vendor_data: Readonly<Record<string, string>>
}

interface AvroQuote {
  message_id: string
  update_id: bigint
  symbol: string
  exchange: string
  asset_class: string
  timestamp: bigint
  bid_price: string
  bid_size: string
  ask_price: string
  ask_size: string
  currency: string
  ingestion_timestamp: bigint
  platform_sequence: bigint
  vendor_data: Readonly<Record<string, string>>
}

/** Trade (camelCase) → the trade v2 Avro record (snake_case), as avsc writes it. */
export function toAvroTrade(t: Trade): AvroTrade {
  return {
    message_id: t.messageId,
    trade_id: t.tradeId,
    symbol: t.symbol,
    exchange: t.exchange,
    asset_class: t.assetClass,
    timestamp: t.timestampMicros,
    price: t.price,
    quantity: t.quantity,
    currency: t.currency,
    side: t.side,
    trade_conditions: t.tradeConditions,
    source_sequence: t.sourceSequence,
    ingestion_timestamp: t.ingestionTimestampMicros,
    platform_sequence: t.platformSequence,
    vendor_data: t.vendorData,
  }
}

function fromAvroTrade(r: AvroTrade): Trade {
  return {
    messageId: r.message_id,
    tradeId: r.trade_id,
    symbol: r.symbol,
    exchange: r.exchange,
    assetClass: assetClass(r.asset_class, r.message_id),
    timestampMicros: r.timestamp,
    price: r.price,
    quantity: r.quantity,
    currency: r.currency,
    side: r.side,
    tradeConditions: [...r.trade_conditions],
    sourceSequence: r.source_sequence,
    ingestionTimestampMicros: r.ingestion_timestamp,
    platformSequence: r.platform_sequence,
    vendorData: { ...r.vendor_data },
  }
}

export function toAvroQuote(q: Quote): AvroQuote {
  return {
    message_id: q.messageId,
    update_id: q.updateId,
    symbol: q.symbol,
    exchange: q.exchange,
    asset_class: q.assetClass,
    timestamp: q.timestampMicros,
    bid_price: q.bidPrice,
    bid_size: q.bidSize,
    ask_price: q.askPrice,
    ask_size: q.askSize,
    currency: q.currency,
    ingestion_timestamp: q.ingestionTimestampMicros,
    platform_sequence: q.platformSequence,
    vendor_data: q.vendorData,
  }
}

function fromAvroQuote(r: AvroQuote): Quote {
  return {
    messageId: r.message_id,
    updateId: r.update_id,
    symbol: r.symbol,
    exchange: r.exchange,
    assetClass: assetClass(r.asset_class, r.message_id),
    timestampMicros: r.timestamp,
    bidPrice: r.bid_price,
    bidSize: r.bid_size,
    askPrice: r.ask_price,
    askSize: r.ask_size,
    currency: r.currency,
    ingestionTimestampMicros: r.ingestion_timestamp,
    platformSequence: r.platform_sequence,
    vendorData: { ...r.vendor_data },
  }
}

/** The market types know one asset class; a record claiming another cannot become a Trade or Quote. */
function assetClass(value: string, messageId: string): 'crypto' {
  if (value === 'crypto') return value
  throw new WorkbenchError(ErrorCode.RecordInvalid, `record ${messageId} has asset_class ${JSON.stringify(value)}; the workbench reads only "crypto"`)
}

// --- encode / decode ----------------------------------------------------------------------------

function encode(type: avro.Type, record: object, what: string): Buffer {
  try {
    return type.toBuffer(record)
  } catch (err) {
    const problems = invalidFields(type, record)
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} does not fit ${type.name}: ${problems.length ? problems.join('; ') : errorMessage(err)}`, false, { cause: err })
  }
}

/** Each field of `value` that `type` refuses, with the reason: `price: "1.123456789" has 9 fractional digits; ...`. */
function invalidFields(type: avro.Type, value: unknown): string[] {
  const problems: string[] = []
  type.isValid(value, {
    errorHook: (fieldPath, fieldValue, fieldType) => {
      const where = fieldPath.join('.') || '(record)'
      const why =
        fieldType instanceof DecimalType
          ? fieldType.problem(fieldValue)
          : fieldType instanceof avro.types.EnumType
            ? `${show(fieldValue)} is not one of ${fieldType.symbols.join(', ')}`
            : `${show(fieldValue)} is not a valid ${fieldType.typeName === 'abstract:long' ? 'long (bigint)' : fieldType.typeName}`
      problems.push(`${where}: ${why}`)
    },
  })
  return problems
}

function createReader<A, T>(reader: avro.Type, writerSchema: string | AvroSchema | undefined, toRecord: (avroRecord: A) => T): RecordReader<T> {
  const writer = writerSchema === undefined ? undefined : createAvroType(writerSchema)
  // Always resolve against a given writer: avsc's equals() compares canonical forms, which drop
  // logical types, so a writer with another decimal scale would look equal and be misread.
  let resolver: ReturnType<avro.Type['createResolver']> | undefined
  if (writer !== undefined) {
    try {
      resolver = reader.createResolver(writer)
    } catch (err) {
      throw new WorkbenchError(ErrorCode.SchemaIncompatible, `records written with ${writer.name ?? writer.typeName} cannot be read as ${reader.name} v2: ${errorMessage(err)}`, false, { cause: err })
    }
  }
  const writerName = writer?.name ?? `${reader.name} v2`
  return (body) => {
    let decoded: A
    try {
      decoded = reader.fromBuffer(body, resolver) as A
    } catch (err) {
      throw new WorkbenchError(ErrorCode.RecordInvalid, `a ${body.length}-byte body is not a ${writerName} record: ${errorMessage(err)}`, false, { cause: err })
    }
    return toRecord(decoded)
  }
}

function show(value: unknown): string {
  const text = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'undefined (missing)' : typeof value === 'number' ? `number ${value}` : String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
