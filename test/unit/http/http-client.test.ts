import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, isWorkbenchError, requestJson } from '../../../lib/internal'

/** A loopback server whose /stall answers the headers and then never finishes the body. */
let server: http.Server
let base = ''
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"partial":')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('requestJson', () => {
  it('answers with the parsed body', async () => {
    expect(await requestJson(`${base}/ok`)).toEqual({ ok: true })
  })

  it('turns a body that stops arriving into a retryable SERVICE_UNAVAILABLE naming the request', async () => {
    const err = await requestJson(`${base}/stall`, { timeoutMs: 200 }).catch((e: unknown) => e)
    expect(isWorkbenchError(err, ErrorCode.ServiceUnavailable)).toBe(true)
    expect((err as { retryable: boolean }).retryable).toBe(true)
    expect(String((err as Error).message)).toContain('GET ' + base + '/stall')
  })
})
