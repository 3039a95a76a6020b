import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metricDefinitions, metricWorkers, processMetricNames, type MetricWorker } from '../../lib/internal'
import { FatalError, eventually, freePort, startWorker, uniqueName } from './helpers'
import { createLakeTestContext } from './lake-helpers'

/**
 * Every worker as a process on the test's own topics, namespace, group and ports, scraped after
 * it has done some work: its exposition passes `promtool check metrics` (Debian's prometheus
 * package, which `stack up` installs) and holds every metric lib/metrics lists for it.
 */
describe('metrics of every worker', () => {
  const lake = createLakeTestContext('metrics')
  const config = lake.config
  const topics = { K2_TOPIC_TRADES: lake.topics.trades, K2_TOPIC_QUOTES: lake.topics.quotes, K2_TOPIC_DEAD_LETTER: lake.topics.deadLetter }
  const workers: Array<ReturnType<typeof startWorker>> = []
  const urls = {} as Record<MetricWorker, string>
  const bodies = {} as Record<MetricWorker, string>
  let replayPort = 0
  let seed = 0

  const scrape = async (worker: MetricWorker): Promise<string> => {
    const res = await fetch(urls[worker])
    if (!res.ok) throw new Error(`${worker} /metrics answered ${res.status}`)
    return res.text()
  }
  const sample = (body: string, series: string): number => Number(body.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? NaN)

  beforeAll(async () => {
    replayPort = await freePort()
    seed = 200_000 + Math.floor(Math.random() * 1_000_000_000)
    const ports = { ingest: await freePort(), sink: await freePort(), maintenance: await freePort(), api: await freePort() }
    const env = {
      ...topics,
      K2_REPLAY_PORT: String(replayPort),
      K2_REPLAY_SEED: String(seed),
      K2_REPLAY_RATE: '5',
      K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT',
      K2_SINK_NAMESPACE: lake.namespace,
      K2_SINK_GROUP: uniqueName('m-sink'),
      K2_SINK_MAX_AGE_MS: '3000',
      K2_INGEST_METRICS_PORT: String(ports.ingest),
      K2_SINK_METRICS_PORT: String(ports.sink),
      K2_MAINTENANCE_METRICS_PORT: String(ports.maintenance),
      K2_MAINTENANCE_INTERVAL_MS: '5000',
      K2_API_PORT: String(ports.api),
      K2_LOG_FORMAT: 'json',
    }
    urls.ingest = `http://${config.host}:${ports.ingest}/metrics`
    urls['iceberg-sink'] = `http://${config.host}:${ports.sink}/metrics`
    urls.maintenance = `http://${config.host}:${ports.maintenance}/metrics`
    urls.api = `http://${config.host}:${ports.api}/metrics`
    for (const script of ['replay-exchange.ts', 'ingest.ts', 'iceberg-sink.ts', 'maintenance.ts', 'api.ts']) workers.push(startWorker(script, env))
    const logs = (): string => workers.map((w) => w.describe()).join('\n---\n')
    // A worker that has exited will not come back: say so at once, with what it printed.
    const alive = (): void => {
      const dead = workers.find((w) => w.child.exitCode !== null || w.child.signalCode !== null)
      if (dead) throw new FatalError(`a worker exited before the test's work was done: ${dead.describe()}`)
    }

    // Some work first, so counters and histograms carry samples and not only their help text.
    await eventually(
      async () => {
        alive()
        return sample(await scrape('iceberg-sink'), 'k2_sink_records_total{table="trades"}') > 0 ? true : undefined
      },
      120_000,
      () => `the sink to commit trades (${logs()})`,
    )
    const to = new Date()
    const from = new Date(to.getTime() - 10 * 60_000)
    await eventually(
      async () => {
        alive()
        const res = await fetch(`http://${config.host}:${ports.api}/v1/trades?symbol=BTCUSDT&from=${from.toISOString()}&to=${to.toISOString()}`)
        return res.ok ? true : undefined
      },
      60_000,
      () => `the API to answer a trades query (${logs()})`,
    )
    for (const w of metricWorkers) bodies[w] = await eventually(() => scrape(w), 30_000, `${w} /metrics`)
  }, 300_000)

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGTERM')
    await Promise.all(workers.map((w) => w.exited))
    const admin = lake.kafka.admin()
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const extra = [lake.topics.trades, lake.topics.quotes].flatMap((t) => [`${t}.checkpoint`, `${t}.deferred`]).filter((t) => existing.has(t))
    await admin.deleteTopics({ topics: extra }).catch(() => {})
    await admin.disconnect()
    await lake.teardown()
    fs.rmSync(path.join(config.paths.state, 'replay-exchange', `seed-${seed}-port-${replayPort}.json`), { force: true })
  }, 120_000)

  it.each(metricWorkers)('%s: promtool check metrics finds nothing to fix', (worker) => {
    const run = spawnSync('promtool', ['check', 'metrics'], { input: bodies[worker], encoding: 'utf8' })
    expect(run.error, 'promtool is on PATH (npm run stack -- up installs Debian prometheus)').toBeUndefined()
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('')
    expect(run.status).toBe(0)
  })

  it.each(metricWorkers)('%s: serves every metric listed for it, with its help text and type, and the process metrics', (worker) => {
    const body = bodies[worker]
    const listed = Object.values(metricDefinitions).filter((d) => (d.workers as readonly string[]).includes(worker))
    expect(listed.length).toBeGreaterThan(3)
    for (const def of listed) {
      expect(body, def.name).toContain(`# HELP ${def.name} ${def.help}\n`)
      expect(body, def.name).toContain(`# TYPE ${def.name} ${def.type}\n`)
    }
    for (const name of processMetricNames) expect(body, name).toMatch(new RegExp(`^${name} `, 'm'))
    // Nothing exported that the list does not name (apart from Node's process metrics).
    const exported = [...body.matchAll(/^# TYPE (k2_\w+) /gm)].map((m) => m[1])
    expect(exported.filter((n) => !listed.some((d) => d.name === n))).toEqual([])
  })

  it('every label value is from a bounded set: no symbol, id or free text as a label', () => {
    const symbols = /BTCUSDT|ETHUSDT/
    for (const worker of metricWorkers) {
      for (const line of bodies[worker].split('\n').filter((l) => l.startsWith('k2_'))) {
        const labels = /\{(.*)\}/.exec(line)?.[1] ?? ''
        expect(labels, `${worker}: ${line}`).not.toMatch(symbols)
        for (const [, value] of labels.matchAll(/="([^"]*)"/g)) expect(value!.length, `${worker}: ${line}`).toBeLessThan(40)
      }
    }
    // The workers did work: the sink committed, the API counted its query.
    expect(sample(bodies['iceberg-sink'], 'k2_sink_records_total{table="trades"}')).toBeGreaterThan(0)
    expect(bodies.api).toMatch(/^k2_api_requests_total\{route="\/v1\/trades",status="200"\} [1-9]/m)
  })
})
