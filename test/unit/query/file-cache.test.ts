import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createFileIO, createLocalStore, type FileIO } from '../../../lib/internal'
import { createDataFileCache } from '../../../lib/internal'

/** Every folder the tests make, under one that is removed at the end. */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-file-cache-test-'))
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

function setup(): { io: FileIO; reads: string[]; dir: string; put: (key: string, bytes: number) => string } {
  const root = fs.mkdtempSync(path.join(scratch, 'src-'))
  const base = createFileIO([{ prefix: 's3://bucket/', store: createLocalStore(root) }])
  const reads: string[] = []
  const io: FileIO = { ...base, read: (l) => (reads.push(l), base.read(l)) }
  return {
    io,
    reads,
    dir: fs.mkdtempSync(path.join(scratch, 'cache-')),
    put: (key, bytes) => {
      fs.mkdirSync(path.dirname(path.join(root, key)), { recursive: true })
      fs.writeFileSync(path.join(root, key), Buffer.alloc(bytes, key.length))
      return `s3://bucket/${key}`
    },
  }
}

describe('data file cache', () => {
  it('downloads each file once however many queries ask at the same time, and serves it locally after', async () => {
    const { io, reads, dir, put } = setup()
    const a = put('t/data/a.parquet', 1000)
    const cache = createDataFileCache({ io, dir })
    const [p1, p2] = await Promise.all([cache.acquire([a]), cache.acquire([a])])
    expect(p1).toEqual(p2)
    expect(reads).toEqual([a])
    expect(fs.readFileSync(p1![0]!)).toHaveLength(1000)
    cache.release([a])
    cache.release([a])
    await cache.acquire([a])
    expect(reads).toHaveLength(1)
    // A new cache over the same folder reuses the copy (a restart downloads nothing).
    const again = createDataFileCache({ io, dir })
    await again.acquire([a])
    expect(reads).toHaveLength(1)
  })

  it('evicts least recently used copies beyond its size, never one a query holds', async () => {
    const { io, dir, put } = setup()
    const files = ['a', 'b', 'c'].map((k) => put(`t/data/${k}.parquet`, 400))
    const cache = createDataFileCache({ io, dir, maxBytes: 1000 })
    const [pa] = await cache.acquire([files[0]!])
    cache.release([files[0]!])
    const [pb] = await cache.acquire([files[1]!])
    // a is released and least recent: c's arrival pushes it out; b is held and stays.
    const [pc] = await cache.acquire([files[2]!])
    expect(fs.existsSync(pa!)).toBe(false)
    expect(fs.existsSync(pb!)).toBe(true)
    expect(fs.existsSync(pc!)).toBe(true)
    expect(cache.stats.evictions).toBe(1)
    // Held files may take the cache over its size for the length of a query.
    const [pa2] = await cache.acquire([files[0]!])
    expect(fs.existsSync(pa2!)).toBe(true)
    expect(cache.stats.bytes).toBe(1200)
    cache.release(files)
    expect(cache.stats.bytes).toBeLessThanOrEqual(1000)
  })

  it('reads local warehouse files in place, and reports a missing object', async () => {
    const { io, dir } = setup()
    const local = path.join(fs.mkdtempSync(path.join(scratch, 'wh-')), 'x.parquet')
    fs.writeFileSync(local, 'x')
    const cache = createDataFileCache({ io, dir })
    expect(await cache.acquire([pathToFileURL(local).href])).toEqual([local])
    await expect(cache.acquire(['s3://bucket/missing.parquet'])).rejects.toThrow()
    // A failed download is not remembered.
    expect(cache.stats.files).toBe(0)
  })
})
