import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRestCatalogClient, createWarehouseStore, createSchemaRegistryClient } from '../../lib/internal'
import { uniqueName } from './helpers'
import { startPrivateStack, type PrivateStack } from './private-stack'

/**
 * `npm run stack -- down` then `up` keeps every service's data: topics, schemas, tables, objects.
 * On a stack of the test's own: the user's services, and a demo running on them, are not touched.
 */
describe('stack down then up', () => {
  const restarted = ['minio', 'iceberg-rest', 'kafka', 'schema-registry'] as const
  let ps: PrivateStack
  beforeAll(async () => {
    ps = await startPrivateStack('restart', restarted)
  }, 600_000)
  afterAll(async () => ps?.close(), 180_000)

  it('keeps topics with their records, registered schemas, catalog tables and bucket objects', async () => {
    const { config, stack } = ps
    const kafka = new Kafka({ clientId: uniqueName('restart'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
    const registry = createSchemaRegistryClient({ url: config.schemaRegistry.url })
    const catalog = createRestCatalogClient({ url: config.catalog.url })
    const store = createWarehouseStore(config)
    const topic = uniqueName('restart')
    const subject = `${topic}-value`
    const namespace = [uniqueName('restart', '_')]
    const key = `${topic}/object.txt`

    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
    const producer = kafka.producer({ idempotent: true })
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: [{ value: 'kept' }] })
    await producer.disconnect()
    await admin.disconnect()
    const schemaId = await registry.register(subject, { type: 'record', name: 'Kept', fields: [{ name: 'id', type: 'long' }] })
    await catalog.ensureNamespace(namespace)
    const table = await catalog.createTable(namespace, { name: 'kept', schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] } })
    await store.put(key, 'kept')

    await stack.down([...restarted])
    expect((await stack.status([...restarted])).map((s) => s.state)).toEqual(['down', 'down', 'down', 'down'])
    await stack.up([...restarted])

    const admin2 = kafka.admin()
    await admin2.connect()
    const offsets = await admin2.fetchTopicOffsets(topic)
    expect(offsets.map((o) => o.high)).toEqual(['1'])
    await admin2.deleteTopics({ topics: [topic] })
    await admin2.disconnect()
    expect(JSON.parse(await createSchemaRegistryClient({ url: config.schemaRegistry.url }).schemaById(schemaId))).toMatchObject({ name: 'Kept' })
    expect((await catalog.loadTable(namespace, 'kept')).metadata['table-uuid']).toBe(table.metadata['table-uuid'])
    expect(Buffer.from(await store.get(key)).toString()).toBe('kept')

    await registry.deleteSubject(subject)
    await catalog.dropTable(namespace, 'kept', true)
    await catalog.dropNamespace(namespace)
    await store.delete(key)
    store.close()
  })
})
