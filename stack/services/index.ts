import type { ServiceDefinition } from '../lib/service'
import { icebergRest } from './iceberg-rest'
import { jupyter } from './jupyter'
import { kafka } from './kafka'
import { minio } from './minio'
import { prometheus } from './prometheus'
import { schemaRegistry } from './schema-registry'

/** Every service of the local stack, in the order status lists them. */
export const allServices: readonly ServiceDefinition[] = [minio, icebergRest, kafka, schemaRegistry, prometheus, jupyter]
