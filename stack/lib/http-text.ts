import { ErrorCode, WorkbenchError } from '../../lib'

/** GET a text body (e.g. Prometheus exposition), with a timeout; non-2xx is an error. */
export async function httpText(url: string, timeoutMs = 2000): Promise<string> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new WorkbenchError(ErrorCode.ServiceUnavailable, `GET ${url}: no answer`, true, { cause: err })
  }
  const text = await res.text()
  if (!res.ok) throw new WorkbenchError(ErrorCode.HttpStatus, `GET ${url}: HTTP ${res.status}`)
  return text
}
