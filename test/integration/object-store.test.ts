import { afterAll, describe, expect, it } from 'vitest'
import { createS3Store, createWarehouseStore, isWorkbenchError } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'

describe('object store (MinIO)', () => {
  const config = stackConfig()
  const { s3 } = config
  const store = createWarehouseStore(config)
  const prefix = `${uniqueName('objects')}/`

  afterAll(async () => {
    for (const key of await store.list(prefix)) await store.delete(key)
    store.close()
  })

  it('puts and gets an object in the warehouse bucket, byte for byte', async () => {
    const body = new Uint8Array(256 * 1024).map((_, i) => (i * 31) % 251)
    await store.put(`${prefix}data.bin`, body)
    await store.put(`${prefix}note.txt`, 'hello')
    expect(Buffer.from(await store.get(`${prefix}data.bin`)).equals(Buffer.from(body))).toBe(true)
    expect((await store.list(prefix)).sort()).toEqual([`${prefix}data.bin`, `${prefix}note.txt`])
  })

  it('says NOT_FOUND for a missing key', async () => {
    const err = await store.get(`${prefix}missing`).catch((e: unknown) => e)
    expect(isWorkbenchError(err, 'NOT_FOUND')).toBe(true)
  })

  it('refuses wrong credentials with a clear, non-retryable error', async () => {
    const wrong = createS3Store({ endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, accessKeyId: 'nobody', secretAccessKey: 'wrong-secret' })
    const err = await wrong.put(`${prefix}x`, 'x').catch((e: unknown) => e)
    wrong.close()
    expect(isWorkbenchError(err)).toBe(true)
    expect((err as { retryable: boolean }).retryable).toBe(false)
    expect((err as Error).message).toMatch(/writing s3:\/\/warehouse\/.*failed/)
  })
})
