import * as fs from 'node:fs'
import * as path from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { FileIO } from '../iceberg/file-io'

/**
 * Local copies of table data files. Iceberg data files are immutable (a path is written once and
 * never changed), so a copy keyed by location is valid forever: each file is downloaded once,
 * and a query reads local Parquet. Files on a local warehouse (`file://`) are read in place.
 * Least recently used copies are removed beyond `maxBytes`, never while a query holds them.
 */
export interface DataFileCache {
  /**
   * Local paths of `locations`, downloading what is missing (each at most once, however many
   * queries ask at the same time). The files are held until `release` is called with the same list.
   */
  acquire(locations: readonly string[]): Promise<string[]>
  release(locations: readonly string[]): void
  readonly stats: { readonly hits: number; readonly downloads: number; readonly bytesDownloaded: number; readonly evictions: number; readonly bytes: number; readonly files: number }
}

export interface DataFileCacheOptions {
  readonly io: FileIO
  /** Folder of the copies (created; copies from an earlier run are reused). */
  readonly dir: string
  /** Bytes of copies to keep (default 4 GiB). A query may exceed it while it holds its files. */
  readonly maxBytes?: number
  /** Downloads at the same time (default 8). */
  readonly concurrency?: number
}

interface Entry {
  readonly local: string
  bytes: number
  holders: number
  ready: Promise<string>
}

export function createDataFileCache(options: DataFileCacheOptions): DataFileCache {
  const maxBytes = options.maxBytes ?? 4 * 2 ** 30
  const concurrency = options.concurrency ?? 8
  fs.mkdirSync(options.dir, { recursive: true })
  // Map order is recency order: a hit moves its entry to the end.
  const entries = new Map<string, Entry>()
  const stats = { hits: 0, downloads: 0, bytesDownloaded: 0, evictions: 0, bytes: 0, files: 0 }
  let running = 0
  const waiting: Array<() => void> = []
  const slot = async (): Promise<void> => {
    if (running < concurrency) {
      running++
      return
    }
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  const done = (): void => {
    const next = waiting.shift()
    if (next) next()
    else running--
  }

  const localName = (location: string): string => {
    const ext = path.extname(new URL(location).pathname) || '.parquet'
    return path.join(options.dir, createHash('sha256').update(location).digest('hex').slice(0, 32) + ext)
  }

  const download = async (location: string, local: string, entry: Entry): Promise<string> => {
    if (fs.existsSync(local)) {
      entry.bytes = fs.statSync(local).size
      stats.hits++
      return local
    }
    await slot()
    try {
      const body = await options.io.read(location)
      const partial = `${local}.${randomUUID()}.part`
      fs.writeFileSync(partial, body)
      fs.renameSync(partial, local)
      entry.bytes = body.byteLength
      stats.downloads++
      stats.bytesDownloaded += body.byteLength
      return local
    } finally {
      done()
    }
  }

  const evict = (): void => {
    let total = 0
    for (const e of entries.values()) total += e.bytes
    for (const [location, e] of entries) {
      if (total <= maxBytes) break
      if (e.holders > 0) continue
      entries.delete(location)
      total -= e.bytes
      stats.evictions++
      fs.rmSync(e.local, { force: true })
    }
    stats.bytes = total
    stats.files = entries.size
  }

  const release = (locations: readonly string[]): void => {
    for (const location of locations) {
      const e = entries.get(location)
      if (e && e.holders > 0) e.holders--
    }
    evict()
  }

  return {
    stats,
    release,
    async acquire(locations) {
      const held: string[] = []
      try {
        const paths = locations.map((location) => {
          if (location.startsWith('file:')) return Promise.resolve(fileURLToPath(location))
          let e = entries.get(location)
          if (e === undefined) {
            const local = localName(location)
            const created: Entry = { local, bytes: 0, holders: 0, ready: Promise.resolve(local) }
            created.ready = download(location, local, created)
            created.ready.catch(() => {
              if (entries.get(location) === created) entries.delete(location)
            })
            e = created
          } else {
            stats.hits++
            entries.delete(location)
          }
          entries.set(location, e)
          e.holders++
          held.push(location)
          return e.ready
        })
        const out = await Promise.all(paths)
        evict()
        return out
      } catch (err) {
        release(held)
        throw err
      }
    },
  }
}
