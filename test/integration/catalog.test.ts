import { afterAll, describe, expect, it } from 'vitest'
import { createRestCatalogClient, createWarehouseStore, isWorkbenchError, type IcebergSchema, type Snapshot } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'

const schema: IcebergSchema = {
  type: 'struct',
  fields: [
    { id: 1, name: 'trade_id', required: true, type: 'long' },
    { id: 2, name: 'symbol', required: true, type: 'string' },
    { id: 3, name: 'price', required: true, type: 'decimal(18, 8)' },
    { id: 4, name: 'ts', required: true, type: 'timestamptz' },
  ],
}

describe('Iceberg REST catalog', () => {
  const config = stackConfig()
  const catalog = createRestCatalogClient({ url: config.catalog.url })
  const namespace = [uniqueName('ns', '_')]
  const store = createWarehouseStore(config)

  afterAll(async () => {
    await catalog.dropTable(namespace, 'trades', true).catch(() => {})
    await catalog.dropNamespace(namespace).catch(() => {})
    store.close()
  })

  it('creates a namespace and a table, and loads it back with its schema', async () => {
    await catalog.ensureNamespace(namespace, { owner: 'k2-test' })
    await catalog.ensureNamespace(namespace) // idempotent
    expect(await catalog.listNamespaces()).toContainEqual(namespace)

    const created = await catalog.createTable(namespace, { name: 'trades', schema, properties: { 'write.format.default': 'parquet' } })
    expect(created.metadata['format-version']).toBe(2)
    const loaded = await catalog.loadTable(namespace, 'trades')
    expect(loaded.metadata['table-uuid']).toBe(created.metadata['table-uuid'])
    const fields = loaded.metadata.schemas?.[0]?.fields.map((f) => [f.id, f.name, f.type])
    expect(fields).toEqual([
      [1, 'trade_id', 'long'],
      [2, 'symbol', 'string'],
      [3, 'price', 'decimal(18, 8)'],
      [4, 'ts', 'timestamptz'],
    ])
    expect(await catalog.tableExists(namespace, 'trades')).toBe(true)
  })

  it('writes the table metadata into the warehouse bucket', async () => {
    const { 'metadata-location': location } = await catalog.loadTable(namespace, 'trades')
    expect(location.startsWith(`s3://${config.s3.bucket}/`)).toBe(true)
    const key = location.slice(`s3://${config.s3.bucket}/`.length)
    const metadata = JSON.parse(Buffer.from(await store.get(key)).toString('utf8')) as { 'table-uuid': string }
    expect(metadata['table-uuid']).toBe((await catalog.loadTable(namespace, 'trades')).metadata['table-uuid'])
  })

  it('reloads an unchanged table from its ETag, and a changed one in full', async () => {
    const first = await catalog.loadTable(namespace, 'trades')
    // Unchanged: the catalog answers 304 and the client hands back the metadata it holds.
    expect(await catalog.loadTable(namespace, 'trades')).toBe(first)
    // A commit from another client changes the table: the next load must see it.
    const other = createRestCatalogClient({ url: config.catalog.url })
    await other.commitTable(namespace, 'trades', [{ type: 'assert-table-uuid', uuid: first.metadata['table-uuid'] }], [{ action: 'set-properties', updates: { 'k2.test.etag': 'changed' } }])
    const after = await catalog.loadTable(namespace, 'trades')
    expect(after).not.toBe(first)
    expect(after['metadata-location']).not.toBe(first['metadata-location'])
    expect(after.metadata.properties?.['k2.test.etag']).toBe('changed')
  })

  it('answers only the current snapshot when asked for refs, and the whole history otherwise', async () => {
    // Two snapshots (the catalog records them without reading their manifest lists).
    let parent: bigint | undefined
    for (const id of [9_007_199_254_740_993n, 9_007_199_254_740_995n]) {
      const { metadata } = await catalog.loadTable(namespace, 'trades')
      const snapshot: Snapshot = {
        'snapshot-id': id,
        ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
        'sequence-number': metadata['last-sequence-number'] + 1n,
        'timestamp-ms': Date.now(),
        'manifest-list': `s3://${config.s3.bucket}/k2-test/${id}.avro`,
        summary: { operation: 'append' as const, 'k2.kafka.topic': 't', 'k2.kafka.offsets': `0:${id % 100n}` },
        'schema-id': metadata['current-schema-id'],
      }
      await catalog.commitTable(namespace, 'trades', [{ type: 'assert-table-uuid', uuid: metadata['table-uuid'] }], [
        { action: 'add-snapshot', snapshot },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
      ])
      parent = id
    }
    const refs = await catalog.loadTable(namespace, 'trades', { snapshots: 'refs' })
    const all = await catalog.loadTable(namespace, 'trades')
    expect(all.metadata.snapshots.map((s) => s['snapshot-id'])).toEqual([9_007_199_254_740_993n, 9_007_199_254_740_995n])
    expect(refs.metadata.snapshots.map((s) => s['snapshot-id'])).toEqual([9_007_199_254_740_995n])
    expect(refs.metadata['current-snapshot-id']).toBe(9_007_199_254_740_995n)
    // Each answer keeps its own ETag: asking for one never hands back the other.
    expect(await catalog.loadTable(namespace, 'trades', { snapshots: 'refs' })).toBe(refs)
    expect(await catalog.loadTable(namespace, 'trades')).toBe(all)
  })

  it('says NOT_FOUND for a table that does not exist, and CONFLICT for one that does', async () => {
    const missing = await catalog.loadTable(namespace, 'nope').catch((e: unknown) => e)
    expect(isWorkbenchError(missing, 'NOT_FOUND')).toBe(true)
    const dup = await catalog.createTable(namespace, { name: 'trades', schema }).catch((e: unknown) => e)
    expect(isWorkbenchError(dup, 'CONFLICT')).toBe(true)
  })
})
