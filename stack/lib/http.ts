import { ErrorCode, WorkbenchError } from '../../lib'

/**
 * GET (or another method) with a timeout; a refused connection, a timeout or a 5xx is a
 * retryable SERVICE_UNAVAILABLE, a 4xx is a non-retryable HTTP_STATUS error.
 */
export async function httpJson<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T> {
  const text = await httpText(url, init)
  try {
    return (text ? JSON.parse(text) : undefined) as T
  } catch {
    throw new WorkbenchError(ErrorCode.HttpStatus, `${url} answered with text that is not JSON: ${text.slice(0, 200)}`)
  }
}

export async function httpText(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<string> {
  let res: Response
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? 3000),
    })
  } catch (err) {
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, `${url}: no answer (${reason})`, true, { cause: err })
  }
  const text = await res.text()
  if (!res.ok) {
    throw new WorkbenchError(res.status >= 500 ? ErrorCode.ServiceUnavailable : ErrorCode.HttpStatus, `${url}: HTTP ${res.status} ${text.slice(0, 300)}`, res.status >= 500)
  }
  return text
}
