export { createSchemaRegistryClient } from './registry-confluent'
export type { SchemaRegistryClient, SchemaRegistryOptions, RegisteredSchema, Compatibility } from './registry-confluent'
