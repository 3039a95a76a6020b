import { stringify as stringifyLossless } from 'lossless-json'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { parseLosslessJson } from './lossless-parse'

/** A non-2xx answer: the status and body are kept so clients can map them to domain errors. */
export class HttpError extends WorkbenchError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(status >= 500 ? ErrorCode.ServiceUnavailable : status === 404 ? ErrorCode.NotFound : status === 409 ? ErrorCode.Conflict : ErrorCode.HttpStatus, message, status >= 500 || status === 429)
  }
}

export interface HttpRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD'
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /**
   * `lossless`: integers beyond 2^53 become bigint (Iceberg snapshot ids) and bigints are
   * written back exactly; `json`: plain JSON.
   */
  readonly json?: 'json' | 'lossless'
  /** An entity tag from an earlier answer: the server may answer 304 Not Modified instead of the body. */
  readonly ifNoneMatch?: string
}

/** An answer with its entity tag; `notModified` when the server answered 304 to `ifNoneMatch`. */
export interface TaggedAnswer<T> {
  readonly value: T
  readonly etag: string | undefined
  readonly notModified: boolean
}

/** JSON text → value; with `lossless`, unsafe integers come back as bigint. */
export function parseJson(text: string, mode: 'json' | 'lossless' = 'json'): unknown {
  if (mode === 'json') return JSON.parse(text)
  return parseLosslessJson(text)
}

/** Value → JSON text; bigints are written as exact integers. */
export function stringifyJson(value: unknown): string {
  return stringifyLossless(value) ?? 'null'
}

/**
 * One HTTP exchange with a JSON body both ways. A refused connection or a timeout is a
 * retryable SERVICE_UNAVAILABLE; a non-2xx answer is an HttpError (5xx and 429 retryable).
 */
export async function requestJson<T = unknown>(url: string, req: HttpRequest = {}): Promise<T> {
  return (await requestJsonTagged<T>(url, req)).value
}

/**
 * requestJson that also returns the answer's ETag, and sends `ifNoneMatch` so that an unchanged
 * resource comes back as `notModified` with no body (value undefined) instead of being sent again.
 */
export async function requestJsonTagged<T = unknown>(url: string, req: HttpRequest = {}): Promise<TaggedAnswer<T>> {
  const method = req.method ?? (req.body === undefined ? 'GET' : 'POST')
  const timeout = AbortSignal.timeout(req.timeoutMs ?? 10_000)
  const headers: Record<string, string> = req.body === undefined ? { ...req.headers } : { 'content-type': 'application/json', ...req.headers }
  if (req.ifNoneMatch !== undefined) headers['if-none-match'] = req.ifNoneMatch
  let res: Response
  try {
    res = await fetch(url, {
      method,
      headers,
      body: req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : stringifyJson(req.body),
      signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
    })
  } catch (err) {
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, `${method} ${url}: no answer (${reason})`, true, { cause: err })
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    // The timeout also covers the body: one that stops arriving surfaced as a bare DOMException.
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, `${method} ${url}: HTTP ${res.status}, but the body did not arrive (${reason})`, true, { cause: err })
  }
  const etag = res.headers.get('etag') ?? undefined
  if (res.status === 304) return { value: undefined as T, etag: etag ?? req.ifNoneMatch, notModified: true }
  let body: unknown = text
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = parseJson(text, req.json)
    } catch {
      body = text
    }
  }
  if (!res.ok) throw new HttpError(res.status, body, `${method} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`)
  if (typeof body === 'string' && body !== '' && req.json !== undefined) {
    let value: T
    try {
      value = parseJson(body, req.json) as T
    } catch {
      throw new WorkbenchError(ErrorCode.HttpStatus, `${method} ${url}: expected JSON, got: ${text.slice(0, 200)}`)
    }
    return { value, etag, notModified: false }
  }
  return { value: (body === '' ? undefined : body) as T, etag, notModified: false }
}
