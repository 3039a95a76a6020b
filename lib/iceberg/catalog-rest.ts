import { ErrorCode, WorkbenchError, retry, type RetryPolicy } from '../errors/index'
import { HttpError, requestJson } from '../http/index'

/** An Iceberg schema as the REST catalog and table metadata carry it (spec: Schemas and Data Types). */
export interface IcebergSchema {
  readonly type: 'struct'
  readonly 'schema-id'?: number
  readonly fields: ReadonlyArray<{ id: number; name: string; required: boolean; type: unknown; doc?: string }>
}

/** The parts of table metadata the workbench reads; ids are bigint where the spec allows 64 bits. */
export interface TableMetadata {
  readonly 'format-version': number
  readonly 'table-uuid': string
  readonly location: string
  readonly 'current-snapshot-id'?: bigint | number | null
  readonly 'current-schema-id'?: number
  readonly schemas?: readonly IcebergSchema[]
  readonly snapshots?: ReadonlyArray<Record<string, unknown>>
  readonly properties?: Readonly<Record<string, string>>
  readonly [key: string]: unknown
}

/** The REST catalog's LoadTableResult. */
export interface LoadedTable {
  readonly 'metadata-location': string
  readonly metadata: TableMetadata
  readonly config?: Readonly<Record<string, string>>
}

export interface CreateTableRequest {
  readonly name: string
  readonly schema: IcebergSchema
  readonly location?: string
  readonly 'partition-spec'?: unknown
  readonly 'write-order'?: unknown
  readonly properties?: Readonly<Record<string, string>>
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
  loadTable(namespace: readonly string[], name: string): Promise<LoadedTable>
  tableExists(namespace: readonly string[], name: string): Promise<boolean>
  dropTable(namespace: readonly string[], name: string, purge?: boolean): Promise<void>
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
        return await call<LoadedTable>(`/namespaces/${encodeNamespace(namespace)}/tables`, 'POST', request)
      } catch (err) {
        if (err instanceof HttpError && err.status === 409) {
          throw new WorkbenchError(ErrorCode.Conflict, `table ${[...namespace, request.name].join('.')} already exists`, false, { cause: err })
        }
        throw err
      }
    },

    async loadTable(namespace, name) {
      try {
        return await call<LoadedTable>(tablePath(namespace, name))
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) {
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

    async dropTable(namespace, name, purge = false) {
      try {
        await call(`${tablePath(namespace, name)}${purge ? '?purgeRequested=true' : ''}`, 'DELETE')
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404)) throw err
      }
    },
  }
}
