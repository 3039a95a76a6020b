import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import { Gauge, Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { requestJson } from '../../lib/internal'
import { scrapeTargetsDir } from '../../stack/services/prometheus'
import { eventually, stackConfig, uniqueName } from './helpers'

interface TargetsAnswer {
  data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }
}

describe('Prometheus', () => {
  const config = stackConfig()
  const name = uniqueName('worker')
  const targetFile = path.join(scrapeTargetsDir(config), `${name}.json`)
  const registry = new Registry()
  const gauge = new Gauge({ name: 'k2_smoke_test_value', help: 'a value the smoke test sets and reads back through Prometheus', registers: [registry] })
  const server = http.createServer(async (_req, res) => {
    res.setHeader('content-type', registry.contentType)
    res.end(await registry.metrics())
  })

  afterAll(async () => {
    fs.rmSync(targetFile, { force: true })
    await new Promise((r) => server.close(r))
  })

  it('scrapes a worker that registers a target file, reports it up, and answers a query for its metric', async () => {
    await new Promise<void>((r) => server.listen(0, config.host, () => r()))
    const port = (server.address() as AddressInfo).port
    gauge.set(42)
    fs.writeFileSync(targetFile, JSON.stringify([{ targets: [`${config.host}:${port}`], labels: { worker: name } }]))

    const target = await eventually(
      async () => {
        const res = await requestJson<TargetsAnswer>(`${config.prometheus.url}/api/v1/targets?state=active`)
        return res.data.activeTargets.find((t) => t.labels.worker === name && t.health === 'up')
      },
      60_000,
      `Prometheus to report target ${name} up`,
    )
    expect(target.labels.job).toBe('workbench')

    const value = await eventually(
      async () => {
        const q = encodeURIComponent(`k2_smoke_test_value{worker="${name}"}`)
        const res = await requestJson<{ data: { result: Array<{ value: [number, string] }> } }>(`${config.prometheus.url}/api/v1/query?query=${q}`)
        return res.data.result[0]?.value[1]
      },
      30_000,
      'the gauge to be queryable',
    )
    expect(Number(value)).toBe(42)
  })
})
