import { ErrorCode, WorkbenchError } from '../errors/index'

/** Where table files live: the local warehouse folder or an S3 bucket, behind one interface. */
export interface ObjectStore {
  put(key: string, body: Uint8Array | string): Promise<void>
  get(key: string): Promise<Uint8Array>
  /** Keys under `prefix`, all pages. */
  list(prefix: string): Promise<string[]>
  /** Keys under `prefix` with their size and last-modified time (orphan removal needs ages). */
  listDetailed(prefix: string): Promise<StoredObject[]>
  delete(key: string): Promise<void>
  close(): void
}

/** An object as a listing returns it. */
export interface StoredObject {
  readonly key: string
  readonly size: number
  readonly lastModifiedMs: number
}

/**
 * Reads and writes table files by their full location (`s3://bucket/key`, `file:///path`), as
 * metadata, manifests and snapshots name them. Each route maps a location prefix onto an
 * ObjectStore; the longest matching prefix wins (so a test can map another engine's
 * `s3a://bucket/table` onto a local fixture folder).
 */
export interface FileIO {
  read(location: string): Promise<Uint8Array>
  write(location: string, body: Uint8Array | string): Promise<void>
  delete(location: string): Promise<void>
  /** Locations of every file under a location prefix. */
  list(prefix: string): Promise<string[]>
  /** The same, with sizes and last-modified times; `key` is the full location. */
  listDetailed(prefix: string): Promise<StoredObject[]>
  close(): void
}

/** A location prefix (e.g. `s3://warehouse/`) and the store whose keys follow it. */
export interface FileIORoute {
  readonly prefix: string
  readonly store: ObjectStore
}

/** A FileIO over the given routes. */
export function createFileIO(routes: readonly FileIORoute[]): FileIO {
  const sorted = [...routes].sort((a, b) => b.prefix.length - a.prefix.length)
  const resolve = (location: string): { store: ObjectStore; key: string; prefix: string } => {
    for (const r of sorted) if (location.startsWith(r.prefix)) return { store: r.store, key: location.slice(r.prefix.length), prefix: r.prefix }
    throw new WorkbenchError(
      ErrorCode.ConfigInvalid,
      `no object store for ${location}: the workbench knows ${sorted.map((r) => r.prefix).join(', ') || 'no location'} (is the table's location in another bucket?)`,
    )
  }
  return {
    read: (location) => {
      const { store, key } = resolve(location)
      return store.get(key)
    },
    write: (location, body) => {
      const { store, key } = resolve(location)
      return store.put(key, body)
    },
    delete: (location) => {
      const { store, key } = resolve(location)
      return store.delete(key)
    },
    async list(prefix) {
      const { store, key, prefix: routePrefix } = resolve(prefix)
      return (await store.list(key)).map((k) => routePrefix + k)
    },
    async listDetailed(prefix) {
      const { store, key, prefix: routePrefix } = resolve(prefix)
      return (await store.listDetailed(key)).map((o) => ({ ...o, key: routePrefix + o.key }))
    },
    close() {
      for (const r of new Set(routes.map((x) => x.store))) r.close()
    },
  }
}
