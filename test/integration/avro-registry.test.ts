import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSchemaRegistryClient, isWorkbenchError, projectRoot, requestJson, type Quote, type Trade } from '../../lib/internal'
import { createRecordSerde, frame, quoteSchema, tradeSchema, tradeSchemaV1, unframe, valueSubject, type RecordSchemaIds } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'

const trade: Trade = {
  messageId: 'BINANCE:BTCUSDT:3600000999',
  tradeId: 3_600_000_999n,
  symbol: 'BTCUSDT',
  exchange: 'BINANCE',
  assetClass: 'crypto',
  timestampMicros: 1_717_000_000_999_000n,
  price: '67012.5',
  quantity: '0.0015',
  currency: 'USDT',
  side: 'SELL',
  tradeConditions: [],
  sourceSequence: 3_600_000_999n,
  ingestionTimestampMicros: 1_717_000_001_000_123n,
  platformSequence: 9_007_199_254_740_993n, // beyond 2^53: must survive exactly
  vendorData: { M: 'true' },
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
  vendorData: {},
}

describe('record serde against the live schema registry', () => {
  const url = stackConfig().schemaRegistry.url
  const registry = createSchemaRegistryClient({ url })
  const topics = { trades: uniqueName('trades'), quotes: uniqueName('quotes') }
  const evolving = valueSubject(uniqueName('trades-evolve'))
  const subjects = [valueSubject(topics.trades), valueSubject(topics.quotes), evolving]
  let ids: RecordSchemaIds

  beforeAll(async () => {
    ids = await createRecordSerde({ registry }).registerSchemas(topics)
  })

  afterAll(async () => {
    for (const subject of subjects) await registry.deleteSubject(subject)
  })

  it('registers trade v2 and quote v2 under <topic>-value, as committed, idempotently', async () => {
    expect(ids.trades).not.toBe(ids.quotes)
    expect(JSON.parse(await registry.schemaById(ids.trades))).toEqual(tradeSchema)
    expect(JSON.parse(await registry.schemaById(ids.quotes))).toEqual(quoteSchema)
    expect((await registry.latest(valueSubject(topics.trades))).id).toBe(ids.trades)
    expect(await createRecordSerde({ registry }).registerSchemas(topics)).toEqual(ids)
  })

  it('sets BACKWARD on both subjects (GET /config/{subject})', async () => {
    for (const subject of subjects.slice(0, 2)) {
      const config = await requestJson<{ compatibilityLevel: string }>(`${url}/config/${encodeURIComponent(subject)}`)
      expect(config.compatibilityLevel, subject).toBe('BACKWARD')
    }
  })

  it('serializes with the registered id and deserializes through the registry in a fresh serde', async () => {
    const writer = createRecordSerde({ registry })
    await writer.registerSchemas(topics)
    const message = writer.serializeTrade(trade)
    expect(unframe(message).schemaId).toBe(ids.trades)

    // A reader that registered nothing must find the writer schema by the id in the message.
    const reader = createRecordSerde({ registry: createSchemaRegistryClient({ url }) })
    expect(await reader.deserializeTrade(message)).toEqual({ ...trade, price: '67012.50000000', quantity: '0.00150000' })
    expect(await reader.deserializeQuote(writer.serializeQuote(quote))).toEqual({
      ...quote,
      bidPrice: '3765.43000000',
      bidSize: '31.21000000',
      askPrice: '3765.44000000',
      askSize: '40.66000000',
    })
  })

  it('accepts trade v2 after v1 under BACKWARD, and reads v1 records into v2 with defaults', async () => {
    const v1 = await registry.register(evolving, tradeSchemaV1)
    await registry.setCompatibility(evolving, 'BACKWARD')
    expect(await registry.isCompatible(evolving, tradeSchema)).toBe(true)
    const v2 = await registry.register(evolving, tradeSchema)
    expect(v2).not.toBe(v1)
    expect((await registry.latest(evolving)).version).toBe(2)

    // A v1 record as a v1 producer framed it, read by today's serde.
    const body = fs.readFileSync(path.join(projectRoot, 'test/fixtures/avro/trade-v1.bin'))
    const read = await createRecordSerde({ registry }).deserializeTrade(frame(v1, body))
    expect(read).toMatchObject({ messageId: 'BINANCE:BTCUSDT:3600000123', price: '67012.50000000', tradeConditions: [], platformSequence: 0n, vendorData: {} })
  })

  it('refuses a v3 that adds a field without a default (BACKWARD enforced)', async () => {
    const breaking = { ...tradeSchema, fields: [...(tradeSchema.fields as object[]), { name: 'settlement_date', type: 'string', doc: 'no default: v2 data lacks it' }] }
    for (const subject of [valueSubject(topics.trades), evolving]) {
      expect(await registry.isCompatible(subject, breaking), subject).toBe(false)
      expect(isWorkbenchError(await registry.register(subject, breaking).catch((e: unknown) => e), 'SCHEMA_INCOMPATIBLE'), subject).toBe(true)
    }
  })

  it('answers an unknown schema id with NOT_FOUND, not retryable: a dead letter, not a retry', async () => {
    const serde = createRecordSerde({ registry })
    const err = await serde.deserializeTrade(frame(0x7fff_fff0, Buffer.from([0]))).catch((e: unknown) => e)
    expect(isWorkbenchError(err, 'NOT_FOUND')).toBe(true)
    expect((err as { retryable: boolean }).retryable).toBe(false)
    expect((err as Error).message).toMatch(/schema id 2147483632, which the schema registry does not know/)
  })
})
