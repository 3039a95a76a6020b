import { Kafka, logLevel } from 'kafkajs'
import { createRecordSerde, createSchemaRegistryClient } from '../avro/index'
import type { WorkbenchConfig } from '../config/index'
import { createRestCatalogClient } from '../iceberg/catalog-rest'
import { ensureTopics, marketTopicSpecs } from '../ingest/topics-kafka'
import { createWarehouseFileIO } from '../iceberg/store-s3'
import { silentLogger, type Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { createQueryEngine, type QueryEngine } from './query-engine'

export interface OpenQueryEngineOptions {
  readonly logger?: Logger
  readonly metrics?: Metrics
  /** Read the Kafka tail for queries of the present (default true). */
  readonly hybrid?: boolean
  /** Override the configured Iceberg namespace and topics (tests, benchmarks). */
  readonly namespace?: string
  readonly topics?: { readonly trades: string; readonly quotes: string }
}

/**
 * The query engine wired to the configured stack: the REST catalog, the warehouse's object
 * store, and (hybrid) Kafka and the schema registry. What notebooks, the API and benchmarks call.
 */
export async function openQueryEngine(config: WorkbenchConfig, options: OpenQueryEngineOptions = {}): Promise<QueryEngine> {
  const hybrid = options.hybrid ?? true
  const io = createWarehouseFileIO(config)
  const kafka = hybrid ? new Kafka({ clientId: `${config.kafka.clientId}-query`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }) : undefined
  const serde = hybrid ? createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) }) : undefined
  try {
    if (kafka) {
      // The tail reads the topics from the start: create them if the ingestor has not yet (same specs).
      const admin = kafka.admin()
      await admin.connect()
      try {
        await ensureTopics(admin, marketTopicSpecs({ ...config.topics, ...options.topics }))
      } finally {
        await admin.disconnect()
      }
    }
    const engine = await createQueryEngine(
      {
        namespace: options.namespace ?? config.sink.namespace,
        ...(hybrid ? { topics: options.topics ?? config.topics } : {}),
        cacheDir: config.query.cacheDir,
        cacheMaxBytes: config.query.cacheMaxBytes,
        refreshMs: config.query.refreshMs,
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
