import { Kafka, logLevel } from 'kafkajs'
import { createRecordSerde, createSchemaRegistryClient } from '../avro/index'
import type { WorkbenchConfig } from '../config/index'
import { createRestCatalogClient } from '../iceberg/catalog-rest'
import { ensureTopics } from '../kafka/topics-admin'
import { marketTopicSpecs } from '../market/topics'
import { createWarehouseFileIO } from './warehouse-io'
import { silentLogger, type Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { createQueryEngine, type EngineTopics, type QueryEngine } from '../query/query-engine'

export interface OpenQueryEngineOptions {
  readonly logger?: Logger
  readonly metrics?: Metrics
  /** Read the Kafka tail for queries of the present (default true). */
  readonly hybrid?: boolean
  /** Override the configured Iceberg namespace and topics (tests, benchmarks); given topics replace the configured ones, deferred included. */
  readonly namespace?: string
  readonly topics?: EngineTopics
}

/**
 * The query engine wired to the configured stack: the REST catalog, the warehouse's object
 * store, and (hybrid) Kafka and the schema registry. What notebooks, the API and benchmarks call.
 * Hybrid reads take the tail of the hot topics and of the load shedder's deferred topics, so
 * records shed under overload are visible before the sink backfills them.
 */
export async function openQueryEngine(config: WorkbenchConfig, options: OpenQueryEngineOptions = {}): Promise<QueryEngine> {
  const hybrid = options.hybrid ?? true
  const io = createWarehouseFileIO(config)
  const kafka = hybrid ? new Kafka({ clientId: `${config.kafka.clientId}-query`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }) : undefined
  const serde = hybrid ? createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) }) : undefined
  const topics: EngineTopics = options.topics ?? { trades: config.topics.trades, quotes: config.topics.quotes, deferredTrades: config.topics.deferredTrades, deferredQuotes: config.topics.deferredQuotes }
  try {
    if (kafka) {
      // The tail reads the topics from the start: create them if the ingestor has not yet (same
      // specs; a deferred topic as its hot one, as the ingestor makes it).
      const admin = kafka.admin()
      await admin.connect()
      try {
        const specs = marketTopicSpecs({ ...config.topics, trades: topics.trades, quotes: topics.quotes })
        const deferred = [topics.deferredTrades, topics.deferredQuotes].filter((t): t is string => t !== undefined).map((topic) => ({ ...specs[0]!, topic }))
        await ensureTopics(admin, [...specs, ...deferred])
      } finally {
        await admin.disconnect()
      }
    }
    const engine = await createQueryEngine(
      {
        namespace: options.namespace ?? config.sink.namespace,
        ...(hybrid ? { topics } : {}),
        cacheDir: config.query.cacheDir,
        cacheMaxBytes: config.query.cacheMaxBytes,
        slices: config.query.slices,
        refreshMs: config.query.refreshMs,
        tailIdleMs: config.query.tailIdleMs,
        timeoutMs: config.query.timeoutMs,
        concurrency: config.query.concurrency,
        memoryLimit: config.query.memoryLimit,
      },
      { catalog: createRestCatalogClient({ url: config.catalog.url }), io, kafka, serde, logger: options.logger ?? silentLogger, metrics: options.metrics },
    )
    return {
      ...engine,
      async close() {
        await engine.close()
        io.close()
      },
    }
  } catch (err) {
    io.close()
    throw err
  }
}
