import * as fs from 'node:fs'
import * as path from 'node:path'
import { createRestCatalogClient, credentialsFileName, currentSnapshot, errorMessage, requestJson, tableOffsets, type WorkbenchConfig } from '../../lib/internal'
import { Kafka, logLevel } from 'kafkajs'
import type { Stack } from './manager'

/** One line of the doctor's screen: what was checked, whether it holds, and how to fix it. */
export interface Check {
  readonly area: 'service' | 'pipeline' | 'setup' | 'kernel' | 'data'
  readonly name: string
  readonly ok: boolean
  readonly detail: string
  /** The command or step that turns a red line green. */
  readonly fix?: string
}

/**
 * Everything the story needs, checked against the running stack. Later stages add their own
 * checks (topics, tables) here, each with its fix.
 */
export async function runChecks(config: WorkbenchConfig, stack: Stack): Promise<Check[]> {
  const checks: Check[] = []
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
  checks.push({
    area: 'setup',
    name: 'node',
    ok: major > 20 || (major === 20 && minor >= 19),
    detail: `Node.js ${process.version}`,
    fix: 'install Node.js 20.19 or newer',
  })
  const credentials = path.join(config.paths.state, credentialsFileName)
  checks.push({
    area: 'setup',
    name: 'credentials',
    ok: Boolean(config.s3.accessKeyId && config.s3.secretAccessKey && config.jupyter.token),
    detail: fs.existsSync(credentials) ? `local secrets in ${credentials}` : 'no generated credentials and none in the environment',
    fix: 'npm run stack -- up (generates them), or export K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY and K2_JUPYTER_TOKEN',
  })

  const groups = new Map(stack.services.map((d) => [d.name, d.group]))
  for (const s of await stack.status()) {
    // An optional server (Kafka Connect) is checked only while it runs: down is its normal state.
    if (groups.get(s.name) === 'optional' && s.state === 'down') continue
    const command = groups.get(s.name) === 'pipeline' ? 'pipelines' : 'stack'
    checks.push({
      area: groups.get(s.name) === 'pipeline' ? 'pipeline' : 'service',
      name: s.name,
      ok: s.state === 'up',
      detail: s.state === 'up' ? `${s.address} ${s.version}${s.owner === 'external' ? ' (external)' : ''}, answered in ${s.latencyMs} ms` : `${s.state}: ${s.problem ?? ''}`,
      fix: s.state === 'starting' ? `wait, or read: npm run ${command} -- logs ${s.name}` : `npm run ${command} -- up ${s.name}`,
    })
  }

  checks.push(await kernelCheck(config))
  checks.push(...(await topicChecks(config)))
  checks.push(...(await tableChecks(config)))
  return checks
}

/** The lake tables the sink writes: committed records, and how far behind Kafka they are. */
async function tableChecks(config: WorkbenchConfig): Promise<Check[]> {
  const catalog = createRestCatalogClient({ url: config.catalog.url, retryPolicy: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 } })
  const admin = new Kafka({ clientId: `${config.kafka.clientId}-doctor`, brokers: [...config.kafka.brokers], connectionTimeout: 2000, retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin()
  const out: Check[] = []
  try {
    await admin.connect().catch(() => undefined)
    for (const [name, topic] of [
      ['trades', config.topics.trades],
      ['quotes', config.topics.quotes],
    ] as const) {
      const table = `${config.sink.namespace}.${name}`
      const fix = 'npm run pipelines -- up iceberg-sink (it creates the tables and commits every 30 s)'
      try {
        if (!(await catalog.tableExists([config.sink.namespace], name))) {
          out.push({ area: 'data', name: `table ${name}`, ok: false, detail: `${table} does not exist yet`, fix })
          continue
        }
        const { metadata } = await catalog.loadTable([config.sink.namespace], name)
        const snap = currentSnapshot(metadata)
        const held = tableOffsets(metadata, topic)
        const high: Array<{ partition: number; high: string }> = await admin.fetchTopicOffsets(topic).catch(() => [])
        const behind = high.reduce((n, h) => n + Math.max(0, Number(h.high) - Number(held.get(h.partition) ?? 0n)), 0)
        const age = snap ? Math.round((Date.now() - snap['timestamp-ms']) / 1000) : undefined
        out.push({
          area: 'data',
          name: `table ${name}`,
          ok: true,
          detail: snap
            ? `${table}: ${Number(snap.summary['total-records'] ?? 0).toLocaleString('en')} records in ${snap.summary['total-data-files'] ?? '?'} files, last commit ${age} s ago, ${behind.toLocaleString('en')} Kafka records not yet committed`
            : `${table}: no commit yet (the sink commits within ${config.sink.maxAgeMs / 1000} s of the first record), ${behind.toLocaleString('en')} Kafka records waiting`,
          fix,
        })
      } catch (err) {
        out.push({ area: 'data', name: `table ${name}`, ok: false, detail: `cannot ask the catalog: ${errorMessage(err)}`, fix: 'npm run stack -- up iceberg-rest' })
      }
    }
  } finally {
    await admin.disconnect().catch(() => {})
  }
  return out
}

/** The topics the story reads: the ingest worker creates them (auto-create is off). */
async function topicChecks(config: WorkbenchConfig): Promise<Check[]> {
  const roles: Array<[string, string]> = [
    ['trades', config.topics.trades],
    ['quotes', config.topics.quotes],
    ['dead letters', config.topics.deadLetter],
  ]
  const wanted = roles.map(([, t]) => t)
  const admin = new Kafka({ clientId: `${config.kafka.clientId}-doctor`, brokers: [...config.kafka.brokers], connectionTimeout: 2000, retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin()
  try {
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const offsets = new Map<string, number>()
    for (const t of wanted.filter((t) => existing.has(t))) {
      offsets.set(t, (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0))
    }
    return roles.map(([role, topic]) => ({
      area: 'data' as const,
      name: `topic ${role}`,
      ok: existing.has(topic),
      detail: existing.has(topic) ? `${topic}: ${offsets.get(topic)!.toLocaleString('en')} records` : `${topic} does not exist yet`,
      fix: 'npm run pipelines -- up (the ingest worker creates its topics)',
    }))
  } catch (err) {
    return [{ area: 'data', name: 'topics', ok: false, detail: `cannot ask Kafka: ${errorMessage(err)}`, fix: 'npm run stack -- up kafka' }]
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

async function kernelCheck(config: WorkbenchConfig): Promise<Check> {
  const base = { area: 'kernel' as const, name: 'tslab kernel', fix: 'npm run stack -- up jupyter' }
  try {
    const res = await requestJson<{ kernelspecs: Record<string, { spec?: { display_name?: string } }> }>(`${config.jupyter.url}/api/kernelspecs`, {
      headers: { authorization: `token ${config.jupyter.token ?? ''}` },
      timeoutMs: 3000,
    })
    const spec = res.kernelspecs.tslab
    return { ...base, ok: Boolean(spec), detail: spec ? `JupyterLab offers "${spec.spec?.display_name}"` : 'JupyterLab has no tslab kernel' }
  } catch (err) {
    return { ...base, ok: false, detail: `cannot ask JupyterLab: ${errorMessage(err)}` }
  }
}
