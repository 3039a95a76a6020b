import type { ServiceDefinition } from '../lib/service'
import { prometheus } from './prometheus'

/** Every service of the local stack. */
export const allServices: readonly ServiceDefinition[] = [prometheus]
