/**
 * The overload demo wired to the configured stack, as the notebook and `npm run degrade-demo`
 * run it: Kafka, the REST catalog, the warehouse's object store and the schema registry from the
 * config, and a run of its own (namespace, topic prefix, scratch folder) named from a label and
 * the clock. IO adapter: it builds the clients and closes what it opened.
 */
import * as path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { createRecordSerde, createSchemaRegistryClient } from '../avro/index'
import type { WorkbenchConfig } from '../config/index'
import { createRestCatalogClient } from '../iceberg/catalog-rest'
import { createWarehouseFileIO } from '../wiring/warehouse-io'
import { silentLogger, type Logger } from '../logger/index'
import { removeOverloadDemo, runOverloadDemo, type OverloadDemoOptions, type OverloadDemoResult, type OverloadSample } from './overload-demo'

/** One run's names: its own Iceberg namespace, Kafka topic prefix and scratch folder. */
export interface OverloadDemoRun {
  readonly namespace: string
  readonly topicPrefix: string
  readonly workDir: string
}

/**
 * The names of a new run: `<label>_<ms>` as the namespace, `k2.<namespace>` as the topic prefix,
 * a folder under the stack's state. Pure. npm test's sweep finds leftovers by these shapes.
 */
export function overloadDemoRun(config: Pick<WorkbenchConfig, 'paths'>, label: string, nowMs: number): OverloadDemoRun {
  const namespace = `${label}_${nowMs}`
  return { namespace, topicPrefix: `k2.${namespace}`, workDir: path.join(config.paths.state, 'degrade-demo', namespace) }
}

/** What a caller chooses of a run; everything else comes from the config. */
export interface OverloadDemoFromConfigOptions {
  readonly mode: OverloadDemoOptions['mode']
  /** The run's names (default: a new run labelled `label`). */
  readonly run?: OverloadDemoRun
  /** Labels a new run (default `degrade`); the notebook's runs are `nb_degrade_…`. */
  readonly label?: string
  readonly logger?: Logger
  readonly onSample?: (s: OverloadSample) => void
  readonly signal?: AbortSignal
}

/** Runs the overload demo on the configured stack; the result says which run it was. */
export async function runOverloadDemoFromConfig(config: WorkbenchConfig, options: OverloadDemoFromConfigOptions): Promise<OverloadDemoResult & { readonly run: OverloadDemoRun }> {
  const run = options.run ?? overloadDemoRun(config, options.label ?? 'degrade', Date.now())
  const io = createWarehouseFileIO(config)
  try {
    const result = await runOverloadDemo(
      { mode: options.mode, namespace: run.namespace, topicPrefix: run.topicPrefix, workDir: run.workDir },
      {
        kafka: demoKafka(config),
        brokers: config.kafka.brokers,
        catalog: createRestCatalogClient({ url: config.catalog.url }),
        io,
        serde: createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) }),
        logger: options.logger ?? silentLogger,
        onSample: options.onSample,
        signal: options.signal,
      },
    )
    return { ...result, run }
  } finally {
    io.close()
  }
}

/** Removes what one run made on the configured stack (its topics, subjects, consumer group and tables). */
export function removeOverloadDemoFromConfig(config: WorkbenchConfig, run: Pick<OverloadDemoRun, 'namespace' | 'topicPrefix'>): Promise<{ topics: string[]; tables: string[] }> {
  return removeOverloadDemo(run, {
    kafka: demoKafka(config),
    catalog: createRestCatalogClient({ url: config.catalog.url }),
    registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }),
  })
}

const demoKafka = (config: WorkbenchConfig): Kafka => new Kafka({ clientId: `${config.kafka.clientId}-overload-demo`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
