import { ErrorCode, WorkbenchError, retry, type RetryPolicy } from '../errors/index'
import { HttpError, requestJson, requestJsonTagged } from '../http/index'
import type { Schema, Snapshot, SortOrder, PartitionSpec, TableMetadata } from './spec-types'
import { parseTableMetadata } from './table-metadata'

/** The REST catalog's LoadTableResult, with the metadata normalised by `parseTableMetadata`. */
export interface LoadedTable {
  readonly 'metadata-location': string
  readonly metadata: TableMetadata
  readonly config?: Readonly<Record<string, string>>
}

/** A schema as CreateTableRequest takes it (the catalog assigns the schema id). */
export type IcebergSchema = Omit<Schema, 'schema-id'> & { readonly 'schema-id'?: number }

/**
 * A requirement the catalog checks atomically before applying a commit's updates
 * (REST spec: TableRequirement). The workbench uses the two an optimistic writer needs.
 */
export type TableRequirement =
  | { readonly type: 'assert-table-uuid'; readonly uuid: string }
  | { readonly type: 'assert-ref-snapshot-id'; readonly ref: string; readonly 'snapshot-id': bigint | null }

/** A metadata change (REST spec: TableUpdate); the subset the writer and maintenance send. */
export type TableUpdate =
  | { readonly action: 'add-snapshot'; readonly snapshot: Snapshot }
  | { readonly action: 'set-snapshot-ref'; readonly 'ref-name': string; readonly type: 'branch' | 'tag'; readonly 'snapshot-id': bigint }
  | { readonly action: 'remove-snapshots'; readonly 'snapshot-ids': readonly bigint[] }
  | { readonly action: 'set-properties'; readonly updates: Readonly<Record<string, string>> }

export interface CreateTableRequest {
  readonly name: string
  readonly schema: IcebergSchema
  readonly location?: string
  readonly 'partition-spec'?: Omit<PartitionSpec, 'spec-id'> & { readonly 'spec-id'?: number }
  readonly 'write-order'?: SortOrder
  readonly properties?: Readonly<Record<string, string>>
}

export interface LoadTableOptions {
  /** `all` (default): every valid snapshot; `refs`: those referenced by branches and tags. */
  readonly snapshots?: 'all' | 'refs'
}

/** Client of an Iceberg REST catalog (spec: open-api/rest-catalog-open-api.yaml). */
export interface RestCatalogClient {
  /** The catalog's defaults and overrides (e.g. the path prefix). */
  config(): Promise<{ defaults: Record<string, string>; overrides: Record<string, string> }>
  listNamespaces(): Promise<string[][]>
  /** Creates the namespace unless it exists. */
  ensureNamespace(namespace: readonly string[], properties?: Record<string, string>): Promise<void>
  dropNamespace(namespace: readonly string[]): Promise<void>
  createTable(namespace: readonly string[], request: CreateTableRequest): Promise<LoadedTable>
  /**
   * The table's metadata. `snapshots: 'refs'` asks for only the snapshots that branches and tags
   * name (REST spec, loadTable's `snapshots` parameter): a reader that needs the current snapshot
   * gets tens of KB instead of the whole history (a table that keeps 6 h of commits holds ~1 MB).
   * A catalog that ignores the parameter answers the whole history, which is also correct.
   */
  loadTable(namespace: readonly string[], name: string, options?: LoadTableOptions): Promise<LoadedTable>
  tableExists(namespace: readonly string[], name: string): Promise<boolean>
  dropTable(namespace: readonly string[], name: string, purge?: boolean): Promise<void>
  /**
   * One atomic commit: the catalog checks `requirements`, then applies `updates`. Sent once,
   * never retried here: a 409 is CONFLICT (retryable: reload, rebase, commit again); a 5xx or
   * no answer is COMMIT_STATE_UNKNOWN (the commit may have landed: reload and look for it).
   */
  commitTable(namespace: readonly string[], name: string, requirements: readonly TableRequirement[], updates: readonly TableUpdate[]): Promise<LoadedTable>
}

export interface RestCatalogOptions {
  readonly url: string
  readonly warehouse?: string
  /** Bearer token, when the catalog wants one (from the environment, never code). */
  readonly token?: string
  readonly retryPolicy?: RetryPolicy
  readonly signal?: AbortSignal
}

/** Namespace levels joined with the unit separator (0x1F), as the REST spec encodes them in paths. */
export function encodeNamespace(namespace: readonly string[]): string {
  return encodeURIComponent(namespace.join('\x1f'))
}

/** Creates a REST catalog client. The `/v1/config` prefix is fetched once, on first use. */
export function createRestCatalogClient(options: RestCatalogOptions): RestCatalogClient {
  const base = options.url.replace(/\/+$/, '')
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {}
  let prefixPromise: Promise<string> | undefined

  const raw = <T>(path: string, method: 'GET' | 'POST' | 'DELETE' | 'HEAD' = 'GET', body?: unknown): Promise<T> =>
    retry(() => requestJson<T>(`${base}${path}`, { method, body, headers, json: 'lossless', signal: options.signal }), options.retryPolicy, options.signal)

  const getConfig = (): Promise<{ defaults: Record<string, string>; overrides: Record<string, string> }> =>
    raw(`/v1/config${options.warehouse ? `?warehouse=${encodeURIComponent(options.warehouse)}` : ''}`)

  const prefixed = async (path: string): Promise<string> => {
    prefixPromise ??= getConfig().then((c) => (c.overrides?.prefix ? `/v1/${c.overrides.prefix}` : '/v1'))
    try {
      return `${await prefixPromise}${path}`
    } catch (err) {
      prefixPromise = undefined
      throw err
    }
  }
  const call = async <T>(path: string, method: 'GET' | 'POST' | 'DELETE' | 'HEAD' = 'GET', body?: unknown): Promise<T> => raw<T>(await prefixed(path), method, body)
  const tablePath = (ns: readonly string[], name: string): string => `/namespaces/${encodeNamespace(ns)}/tables/${encodeURIComponent(name)}`

  // The last LoadTableResult per table with its ETag: a reader that reloads every second (the
  // query engine) gets 304 Not Modified between commits instead of the whole metadata again
  // (hundreds of KB, parsed losslessly). REST spec: loadTable's If-None-Match.
  const loaded = new Map<string, { etag: string; table: LoadedTable }>()
  const loadTagged = async (path: string): Promise<LoadedTable> => {
    const cached = loaded.get(path)
    const url = `${base}${await prefixed(path)}`
    const answer = await retry(() => requestJsonTagged<RawLoaded>(url, { headers, json: 'lossless', signal: options.signal, ifNoneMatch: cached?.etag }), options.retryPolicy, options.signal)
    if (answer.notModified && cached) return cached.table
    if (answer.notModified) throw new WorkbenchError(ErrorCode.HttpStatus, `GET ${url}: 304 Not Modified to a request that named no ETag`)
    const table = normalise(answer.value)
    // Jetty (the reference REST server) marks the tag of a gzipped answer with "--gzip" but then
    // matches If-None-Match against the bare tag only.
    if (answer.etag) loaded.set(path, { etag: answer.etag.replace(/--gzip$/, ''), table })
    else loaded.delete(path)
    return table
  }

  return {
    config: getConfig,

    async listNamespaces() {
      const res = await call<{ namespaces: string[][] }>('/namespaces')
      return res.namespaces
    },

    async ensureNamespace(namespace, properties = {}) {
      try {
        await call('/namespaces', 'POST', { namespace, properties })
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 409)) throw err
      }
    },

    async dropNamespace(namespace) {
      try {
        await call(`/namespaces/${encodeNamespace(namespace)}`, 'DELETE')
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404)) throw err
      }
    },

    async createTable(namespace, request) {
      try {
        return normalise(await call<RawLoaded>(`/namespaces/${encodeNamespace(namespace)}/tables`, 'POST', request))
      } catch (err) {
        if (err instanceof HttpError && err.status === 409) {
          throw new WorkbenchError(ErrorCode.Conflict, `table ${[...namespace, request.name].join('.')} already exists`, false, { cause: err })
        }
        throw err
      }
    },

    async loadTable(namespace, name, loadOptions = {}) {
      const path = `${tablePath(namespace, name)}${loadOptions.snapshots === 'refs' ? '?snapshots=refs' : ''}`
      try {
        return await loadTagged(path)
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) {
          loaded.delete(path)
          throw new WorkbenchError(ErrorCode.NotFound, `table ${[...namespace, name].join('.')} does not exist in the catalog at ${base}`, false, { cause: err })
        }
        throw err
      }
    },

    async tableExists(namespace, name) {
      try {
        await call(tablePath(namespace, name), 'HEAD')
        return true
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) return false
        throw err
      }
    },

    async commitTable(namespace, name, requirements, updates) {
      const path = await prefixed(tablePath(namespace, name))
      const table = [...namespace, name].join('.')
      try {
        return normalise(await requestJson<RawLoaded>(`${base}${path}`, { method: 'POST', body: { requirements, updates }, headers, json: 'lossless', signal: options.signal, timeoutMs: 30_000 }))
      } catch (err) {
        if (err instanceof HttpError && err.status === 409) {
          throw new WorkbenchError(ErrorCode.Conflict, `commit to ${table} conflicts with a concurrent commit: ${serverMessage(err)}`, true, { cause: err })
        }
        if (err instanceof HttpError && err.status === 404) {
          throw new WorkbenchError(ErrorCode.NotFound, `commit to ${table}: ${serverMessage(err)}`, false, { cause: err })
        }
        if (err instanceof HttpError && err.status < 500) {
          throw new WorkbenchError(ErrorCode.HttpStatus, `commit to ${table} was refused: ${serverMessage(err)}`, false, { cause: err })
        }
        throw new WorkbenchError(ErrorCode.CommitStateUnknown, `commit to ${table}: outcome unknown (${err instanceof Error ? err.message.slice(0, 200) : String(err)}); reload the table to see whether it landed`, true, { cause: err })
      }
    },

    async dropTable(namespace, name, purge = false) {
      loaded.delete(tablePath(namespace, name))
      loaded.delete(`${tablePath(namespace, name)}?snapshots=refs`)
      try {
        await call(`${tablePath(namespace, name)}${purge ? '?purgeRequested=true' : ''}`, 'DELETE')
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404)) throw err
      }
    },
  }
}

interface RawLoaded {
  readonly 'metadata-location': string
  readonly metadata: unknown
  readonly config?: Readonly<Record<string, string>>
}

function normalise(raw: RawLoaded): LoadedTable {
  return { 'metadata-location': raw['metadata-location'], metadata: parseTableMetadata(raw.metadata), config: raw.config }
}

/** The message of an Iceberg REST ErrorModel (`{ error: { message, type, code } }`), else the HTTP text. */
function serverMessage(err: HttpError): string {
  const e = (err.body as { error?: { message?: string; type?: string } } | undefined)?.error
  return e?.message ? `${e.type ?? 'error'}: ${e.message}` : err.message
}
