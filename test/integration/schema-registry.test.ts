import { afterAll, describe, expect, it } from 'vitest'
import { createSchemaRegistryClient, isWorkbenchError } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'

const v1 = { type: 'record', name: 'Trade', namespace: 'k2.test', fields: [{ name: 'id', type: 'long' }, { name: 'symbol', type: 'string' }] }
/** v2 adds a field with a default: a v2 reader can read v1 data, so BACKWARD allows it. */
const v2 = { ...v1, fields: [...v1.fields, { name: 'venue', type: 'string', default: 'BINANCE' }] }
/** Adds a field without a default: v1 data cannot be read with it, so BACKWARD refuses it. */
const breaking = { ...v2, fields: [...v2.fields, { name: 'side', type: 'string' }] }

describe('schema registry (Confluent API)', () => {
  const registry = createSchemaRegistryClient({ url: stackConfig().schemaRegistry.url })
  const subject = `${uniqueName('trades')}-value`

  afterAll(() => registry.deleteSubject(subject))

  it('registers a schema and reads it back by id', async () => {
    const id = await registry.register(subject, v1)
    expect(JSON.parse(await registry.schemaById(id))).toEqual(v1)
    expect(await registry.register(subject, v1)).toBe(id)
  })

  it('lets several writers register a subject and set its rule at once (ingest shards starting together)', async () => {
    const fresh = `${uniqueName('shards')}-value`
    try {
      const writers = Array.from({ length: 8 }, () => createSchemaRegistryClient({ url: stackConfig().schemaRegistry.url }))
      const ids = await Promise.all(writers.map(async (w) => (await w.setCompatibility(fresh, 'BACKWARD'), w.register(fresh, v1))))
      expect(new Set(ids).size).toBe(1)
    } finally {
      await registry.deleteSubject(fresh)
    }
  })

  it('enforces BACKWARD compatibility: accepts an added default, rejects a breaking change', async () => {
    await registry.setCompatibility(subject, 'BACKWARD')
    expect(await registry.isCompatible(subject, v2)).toBe(true)
    const id2 = await registry.register(subject, v2)
    expect((await registry.latest(subject)).id).toBe(id2)

    expect(await registry.isCompatible(subject, breaking)).toBe(false)
    const err = await registry.register(subject, breaking).catch((e: unknown) => e)
    expect(isWorkbenchError(err, 'SCHEMA_INCOMPATIBLE')).toBe(true)
  })
})
