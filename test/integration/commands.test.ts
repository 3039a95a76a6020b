import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { createRestCatalogClient, projectRoot } from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'
import { dropLake } from './lake-helpers'

function run(script: string, args: string[] = [], env: Record<string, string> = {}, timeoutMs = 120_000): { status: number | null; out: string } {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const r = spawnSync(process.execPath, [tsx, path.join(projectRoot, 'stack', 'cli', script), ...args], {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('the presenter commands on the running stack', () => {
  // The workers run under this test's own state: its own ports and topic names, stopped after.
  const env = {
    K2_REPLAY_PORT: '19443',
    K2_INGEST_METRICS_PORT: '19464',
    K2_SINK_METRICS_PORT: '19465',
    K2_MAINTENANCE_METRICS_PORT: '19466',
    K2_API_PORT: '19010',
    // The demo executes the story, which waits for the first commit: sooner than every 30 s.
    K2_SINK_MAX_AGE_MS: '10000',
    K2_TOPIC_TRADES: uniqueName('cmd-trades'),
    K2_TOPIC_QUOTES: uniqueName('cmd-quotes'),
    K2_TOPIC_DEAD_LETTER: uniqueName('cmd-dead'),
    K2_SINK_NAMESPACE: uniqueName('cmd', '_'),
    // The user's own demo report (.state/reports) stays as it is.
    K2_DEMO_REPORTS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'k2-cmd-reports-')),
  }
  afterAll(async () => {
    run('pipelines.ts', ['down'], env)
    fs.rmSync(env.K2_DEMO_REPORTS_DIR, { recursive: true, force: true })
    const kafka = new Kafka({ clientId: uniqueName('cmd'), brokers: [...stackConfig().kafka.brokers], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [env.K2_TOPIC_TRADES, env.K2_TOPIC_QUOTES, env.K2_TOPIC_DEAD_LETTER, `${env.K2_TOPIC_TRADES}.checkpoint`] }).catch(() => {})
    await admin.disconnect()
    await dropLake(createRestCatalogClient({ url: stackConfig().catalog.url }), env.K2_SINK_NAMESPACE, ['trades', 'quotes'])
  })

  it('npm run doctor names the missing workers and topics with their fixes', () => {
    const r = run('doctor.ts', [], env)
    expect(r.status).toBe(1)
    expect(r.out).toMatch(/✖ pipeline +ingest .*\n +fix: npm run pipelines -- up ingest/)
    expect(r.out).toMatch(/✖ data +topic trades .*does not exist yet\n +fix: npm run pipelines -- up/)
  })

  it('npm run pipelines -- up starts the workers, then doctor is all green', () => {
    const up = run('pipelines.ts', ['up'], env)
    expect(up.status, up.out).toBe(0)
    expect(up.out).toMatch(/ingest +● up/)
    const r = run('doctor.ts', [], env)
    for (const name of ['minio', 'iceberg-rest', 'kafka', 'schema-registry', 'prometheus', 'jupyter', 'replay-exchange', 'ingest', 'tslab kernel', 'topic trades', 'topic quotes']) {
      expect(r.out).toMatch(new RegExp(`✔ \\w+ +${name} `))
    }
    expect(r.out).toContain('all green')
    expect(r.status).toBe(0)
  })

  it('npm run stack -- status prints up, address and version for every service', () => {
    const r = run('stack.ts', ['status'])
    expect(r.status).toBe(0)
    const lines = r.out.trim().split('\n').filter((l) => /^\S/.test(l))
    expect(lines).toHaveLength(6)
    expect(lines.find((l) => l.startsWith('kafka'))).toMatch(/● up +127\.0\.0\.1:\d+ +Apache Kafka \(KRaft\) 4\.3\.1/)
  })

  it('npm run demo runs the story on the live data and leaves the user with a working JupyterLab address on it', async () => {
    const r = run('demo.ts', [], env, 600_000)
    expect(r.status, r.out).toBe(0)
    expect(r.out).toMatch(/story +executed in \d+ s/)
    const report = path.join(env.K2_DEMO_REPORTS_DIR, '01-ten-minute-story.html')
    expect(fs.readFileSync(report, 'utf8')).toContain(env.K2_TOPIC_TRADES) // this run's, on this test's topics
    const url = /JupyterLab +(http:\/\/\S+\/lab\/tree\/01-ten-minute-story\.ipynb\?token=\S+)/.exec(r.out)?.[1]
    expect(url).toBeDefined()
    const address = new URL(url!)
    expect(address.searchParams.get('token')).toBe(stackConfig().jupyter.token)
    const res = await fetch(`${address.origin}/api/contents/01-ten-minute-story.ipynb?content=0&token=${address.searchParams.get('token')}`)
    expect(res.status).toBe(200)
  }, 620_000)
})
