import type { ServiceDefinition } from '../lib/service'
import { icebergRest } from './iceberg-rest'
import { jupyter } from './jupyter'
import { kafka } from './kafka'
import { kafkaConnect } from './kafka-connect'
import { minio } from './minio'
import { api, icebergSink, ingest, maintenance, replayExchange } from './pipelines'
import { prometheus } from './prometheus'
import { questdb } from './questdb'
import { schemaRegistry } from './schema-registry'

/** Every service the manager runs: the stack's servers, then the workbench's workers. */
export const allServices: readonly ServiceDefinition[] = [minio, icebergRest, kafka, schemaRegistry, prometheus, jupyter, replayExchange, ingest, icebergSink, maintenance, api, kafkaConnect, questdb]

/** Names of one group, in order. */
export const groupNames = (group: 'infra' | 'pipeline' | 'optional'): ServiceDefinition['name'][] => allServices.filter((s) => s.group === group).map((s) => s.name)
