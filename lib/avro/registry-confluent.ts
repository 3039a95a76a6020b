import { ErrorCode, WorkbenchError, retry, type RetryPolicy } from '../errors/index'
import { HttpError, requestJson } from '../http/index'

/** Compatibility levels of the Confluent Schema Registry API. */
export type Compatibility = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE'

/** A registered schema as the registry reports it. */
export interface RegisteredSchema {
  readonly subject: string
  readonly id: number
  readonly version: number
  readonly schema: string
}

/** Client of a Confluent-compatible schema registry (Confluent, Apicurio's ccompat API, Karapace). */
export interface SchemaRegistryClient {
  /** Registers `schema` (Avro JSON) under `subject`; returns its global id. Idempotent. */
  register(subject: string, schema: string | object): Promise<number>
  /** The schema text with that id. Ids never change, so answers are cached. */
  schemaById(id: number): Promise<string>
  latest(subject: string): Promise<RegisteredSchema>
  setCompatibility(subject: string, level: Compatibility): Promise<void>
  /** Whether `schema` may be registered next under `subject` by its compatibility rule. */
  isCompatible(subject: string, schema: string | object): Promise<boolean>
  /** Deletes a subject (soft, then permanently); for tests that clean up after themselves. */
  deleteSubject(subject: string): Promise<void>
}

const contentType = 'application/vnd.schemaregistry.v1+json'

export interface SchemaRegistryOptions {
  readonly url: string
  readonly retryPolicy?: RetryPolicy
  readonly signal?: AbortSignal
}

/** Creates a client for the registry at `url`; 5xx and refused connections are retried. */
export function createSchemaRegistryClient(options: SchemaRegistryOptions): SchemaRegistryClient {
  const base = options.url.replace(/\/+$/, '')
  const byId = new Map<number, string>()
  const call = <T>(path: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE' = 'GET', body?: unknown): Promise<T> =>
    retry(() => requestJson<T>(`${base}${path}`, { method, body, headers: { accept: contentType, 'content-type': contentType }, json: 'json', signal: options.signal }), options.retryPolicy, options.signal)
  const text = (schema: string | object): string => (typeof schema === 'string' ? schema : JSON.stringify(schema))
  const subjectPath = (subject: string): string => `/subjects/${encodeURIComponent(subject)}`

  return {
    async register(subject, schema) {
      try {
        const res = await call<{ id: number }>(`${subjectPath(subject)}/versions`, 'POST', { schemaType: 'AVRO', schema: text(schema) })
        return res.id
      } catch (err) {
        if (err instanceof HttpError && err.status === 409) {
          throw new WorkbenchError(ErrorCode.SchemaIncompatible, `schema for ${subject} is not compatible with the registered versions under the subject's rule: ${detail(err)}`, false, { cause: err })
        }
        if (err instanceof HttpError && err.status === 422) {
          throw new WorkbenchError(ErrorCode.SchemaIncompatible, `schema for ${subject} was rejected as invalid: ${detail(err)}`, false, { cause: err })
        }
        throw err
      }
    },

    async schemaById(id) {
      const cached = byId.get(id)
      if (cached !== undefined) return cached
      const res = await call<{ schema: string }>(`/schemas/ids/${id}`)
      byId.set(id, res.schema)
      return res.schema
    },

    async latest(subject) {
      return call<RegisteredSchema>(`${subjectPath(subject)}/versions/latest`)
    },

    async setCompatibility(subject, level) {
      const path = `/config/${encodeURIComponent(subject)}`
      // Apicurio answers 409 "A rule named 'COMPATIBILITY' already exists" to a PUT that raced
      // another writer's (two ingest shards starting together): the rule exists now, so a second
      // PUT updates it. Then it must read back as the level asked for.
      for (let attempt = 0; ; attempt++) {
        try {
          await call(path, 'PUT', { compatibility: level })
          return
        } catch (err) {
          if (!(err instanceof HttpError && err.status === 409) || attempt >= 3) throw err
        }
        const now = await call<{ compatibilityLevel?: string; compatibility?: string }>(path).catch(() => undefined)
        if ((now?.compatibilityLevel ?? now?.compatibility) === level) return
      }
    },

    async isCompatible(subject, schema) {
      const res = await call<{ is_compatible: boolean }>(`/compatibility${subjectPath(subject)}/versions/latest`, 'POST', { schemaType: 'AVRO', schema: text(schema) })
      return res.is_compatible
    },

    async deleteSubject(subject) {
      for (const suffix of ['', '?permanent=true']) {
        try {
          await call(`${subjectPath(subject)}${suffix}`, 'DELETE')
        } catch (err) {
          if (!(err instanceof HttpError && err.status === 404)) throw err
        }
      }
    },
  }
}

function detail(err: HttpError): string {
  const body = err.body as { message?: string } | string
  return typeof body === 'object' && body?.message ? body.message : String(body).slice(0, 300)
}
