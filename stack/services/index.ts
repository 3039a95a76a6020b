import type { ServiceDefinition } from '../lib/service'
import { jupyter } from './jupyter'
import { kafka } from './kafka'
import { prometheus } from './prometheus'
import { schemaRegistry } from './schema-registry'

/** Every service of the local stack. */
export const allServices: readonly ServiceDefinition[] = [kafka, schemaRegistry, prometheus, jupyter]
