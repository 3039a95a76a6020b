/**
 * The live load of bench:query, in its own process as a user's ingest worker is:
 * `node --import tsx bench/live-producer.ts --trades-topic T --quotes-topic Q --rate 2000`.
 * Produces `rate` trades/s (and half as many quotes) of the seeded live market, in ten batches a
 * second, until SIGTERM; then prints `{"produced": n}` (the trades acknowledged) on stdout.
 * In the querying process, its batches' encoding and acknowledgements took event-loop time from
 * the queries it measured: no user's API process produces the market it serves.
 */
import { createRecordSerde, createSchemaRegistryClient, loadConfig } from '../lib/internal'
// After lib: lib/ingest registers the zstd codec.
import { Kafka, logLevel } from 'kafkajs'
import { arg, declareArgs } from './bench-kit'
import { createMarket, symbols } from './market-fixture'

declareArgs({ 'trades-topic': 'string', 'quotes-topic': 'string', 'rate': 'string' })

async function main(): Promise<void> {
  const config = loadConfig(process.env)
  const topics = { trades: arg('trades-topic', ''), quotes: arg('quotes-topic', '') }
  if (!topics.trades || !topics.quotes) throw new Error('--trades-topic and --quotes-topic are required')
  const rate = Number(arg('rate', '2000'))
  const kafka = new Kafka({ clientId: 'k2-bench-live', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) })
  await serde.registerSchemas(topics)
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  // Live ids continue far above the lake's, so they never collide with it.
  const live = createMarket(97)
  for (let k = 0; k < symbols.length; k++) live.nextIds[k] = 1_000_000_000 + Math.floor(Date.now() / 1000) * 100
  let producing = true
  let produced = 0
  process.once('SIGTERM', () => (producing = false))
  while (producing) {
    const tick = Date.now()
    const at = BigInt(tick) * 1000n
    const trades = Array.from({ length: Math.max(1, Math.round(rate / 10)) }, () => live.trade(at))
    const quotes = Array.from({ length: Math.max(1, Math.round(rate / 20)) }, () => live.quote(at))
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: topics.trades, messages: trades.map((t) => ({ key: t.symbol, value: serde.serializeTrade(t) })) },
        { topic: topics.quotes, messages: quotes.map((q) => ({ key: q.symbol, value: serde.serializeQuote(q) })) },
      ],
    })
    produced += trades.length
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))))
  }
  await producer.disconnect()
  process.stdout.write(`${JSON.stringify({ produced })}\n`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`live-producer: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
