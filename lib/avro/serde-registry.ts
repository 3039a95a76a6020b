import { ErrorCode, WorkbenchError, isWorkbenchError } from '../errors/index'
import { silentLogger, type Logger } from '../logger/index'
import type { Quote, Trade } from '../market/index'
import type { AvroSchema } from './avsc-types'
import { createQuoteReader, createTradeReader, encodeQuote, encodeTrade, quoteSchema, tradeSchema, type RecordReader } from './codec'
import type { SchemaRegistryClient } from './registry-confluent'
import { frame, unframe } from './wire-format'

/** The Kafka topics whose record values the serde writes. */
export interface RecordTopics {
  readonly trades: string
  readonly quotes: string
}

/** Registry ids of the schemas the serde writes with (trade v2, quote v2). */
export interface RecordSchemaIds {
  readonly trades: number
  readonly quotes: number
}

/** Dependencies of the serde: the registry client (which caches schemas by id) and a logger. */
export interface RecordSerdeOptions {
  readonly registry: SchemaRegistryClient
  /** Gets one line per registered subject and per writer schema id first seen; silent by default. */
  readonly logger?: Logger
}

/**
 * Trades and quotes ↔ Kafka message values in the Confluent wire format, with the writer schema
 * looked up by the id each message carries, so records written with an older schema (trade v1)
 * are read into the current shape.
 */
export interface RecordSerde {
  /**
   * Registers trade v2 under `<trades>-value` and quote v2 under `<quotes>-value`, sets BACKWARD
   * on both subjects and keeps the ids. Idempotent; call before serializing.
   */
  registerSchemas(topics: RecordTopics): Promise<RecordSchemaIds>
  /** A framed trade v2 record. Throws RECORD_INVALID when a field does not fit the schema. */
  serializeTrade(trade: Trade): Buffer
  /**
   * Reads a framed trade written with any registered trade schema. Throws NOT_FOUND for a schema
   * id the registry does not know, RECORD_INVALID for a bad frame or body, SCHEMA_INCOMPATIBLE for
   * a writer schema v2 cannot read: none retryable, all for the dead-letter topic.
   */
  deserializeTrade(message: Buffer): Promise<Trade>
  serializeQuote(quote: Quote): Buffer
  deserializeQuote(message: Buffer): Promise<Quote>
  /**
   * The text of the writer schema a message names by id (from the registry, cached), for readers
   * compiled per schema id. Throws NOT_FOUND for an id the registry does not know.
   */
  writerSchema(schemaId: number): Promise<string>
}

/** The subject of a topic's record values (Confluent's default TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`
}

/** A record serde on the given registry; writer schemas are resolved once per schema id. */
export function createRecordSerde(options: RecordSerdeOptions): RecordSerde {
  const { registry } = options
  const log = (options.logger ?? silentLogger).child('avro')
  let ids: RecordSchemaIds | undefined
  const tradeReaders = new Map<number, RecordReader<Trade>>()
  const quoteReaders = new Map<number, RecordReader<Quote>>()

  const register = async (topic: string, schema: AvroSchema, what: string): Promise<number> => {
    const subject = valueSubject(topic)
    const id = await registry.register(subject, schema)
    await registry.setCompatibility(subject, 'BACKWARD')
    log.info(`registered ${what} under ${subject}`, { subject, schemaId: id, compatibility: 'BACKWARD' })
    return id
  }

  const schemaIds = (caller: string): RecordSchemaIds => {
    if (ids === undefined) {
      throw new WorkbenchError(ErrorCode.RequirementMissing, `${caller} needs the registry ids of the schemas: call registerSchemas({ trades, quotes }) first`)
    }
    return ids
  }

  async function readerFor<T>(readers: Map<number, RecordReader<T>>, schemaId: number, create: (writer: string) => RecordReader<T>, what: string): Promise<RecordReader<T>> {
    const known = readers.get(schemaId)
    if (known) return known
    let writer: string
    try {
      writer = await registry.schemaById(schemaId)
    } catch (err) {
      if (!isWorkbenchError(err, ErrorCode.NotFound)) throw err
      throw new WorkbenchError(ErrorCode.NotFound, `${what} record names schema id ${schemaId}, which the schema registry does not know: it cannot be read (written against another registry, or the schema was deleted); dead-letter it`, false, { cause: err })
    }
    const reader = create(writer)
    readers.set(schemaId, reader)
    log.info(`reading ${what} written with schema id ${schemaId}`, { schemaId })
    return reader
  }

  return {
    async registerSchemas(topics) {
      const trades = await register(topics.trades, tradeSchema, 'trade v2')
      const quotes = await register(topics.quotes, quoteSchema, 'quote v2')
      // Our own ids carry exactly the reader schema: no resolution needed.
      tradeReaders.set(trades, createTradeReader())
      quoteReaders.set(quotes, createQuoteReader())
      ids = { trades, quotes }
      return ids
    },

    serializeTrade(trade) {
      return frame(schemaIds('serializeTrade').trades, encodeTrade(trade))
    },

    async deserializeTrade(message) {
      const { schemaId, body } = unframe(message)
      return (await readerFor(tradeReaders, schemaId, createTradeReader, 'trade'))(body)
    },

    serializeQuote(quote) {
      return frame(schemaIds('serializeQuote').quotes, encodeQuote(quote))
    },

    async deserializeQuote(message) {
      const { schemaId, body } = unframe(message)
      return (await readerFor(quoteReaders, schemaId, createQuoteReader, 'quote'))(body)
    },

    writerSchema(schemaId) {
      return registry.schemaById(schemaId)
    },
  }
}
