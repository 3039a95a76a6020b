import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import type { Registry } from 'prom-client'

export interface MetricsServer {
  readonly url: string
  readonly port: number
  /** Stops serving and removes the scrape-target file. Safe to call twice. */
  close(): Promise<void>
}

export interface MetricsServerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** Worker name: the `worker` label and the scrape-target file name. */
  readonly worker: string
  /** Prometheus file_sd folder to announce this worker in (the native stack's); omit to skip. */
  readonly targetsDir?: string
  /** Answers every other path (a worker that serves more than metrics, such as the API); default 404. */
  readonly other?: (req: http.IncomingMessage, res: http.ServerResponse) => void
}

/**
 * Serves `/metrics` for one worker and announces it to Prometheus by writing a file_sd target
 * file, so a worker that starts is scraped without touching Prometheus.
 */
export async function startMetricsServer(registry: Registry, options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics' && options.other) return options.other(req, res)
    if (req.url !== '/metrics') {
      res.statusCode = 404
      return res.end('not found: try /metrics\n')
    }
    registry.metrics().then(
      (body) => {
        res.setHeader('content-type', registry.contentType)
        res.end(body)
      },
      (err: Error) => {
        res.statusCode = 500
        res.end(`metrics failed: ${err.message}\n`)
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  // One file per worker and port: a second instance (a test's, beside the user's) adds a target
  // and removes only its own when it stops.
  const target = options.targetsDir ? path.join(options.targetsDir, `${options.worker}-${port}.json`) : undefined
  if (target) {
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const tmp = `${target}.tmp`
    fs.writeFileSync(tmp, JSON.stringify([{ targets: [`${options.host}:${port}`], labels: { worker: options.worker } }]))
    fs.renameSync(tmp, target)
  }
  let closed = false
  return {
    url: `http://${options.host}:${port}/metrics`,
    port,
    async close() {
      if (closed) return
      closed = true
      if (target) fs.rmSync(target, { force: true })
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
