import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { metricDefinitions, processMetricNames, projectRoot, requestJson } from '../../lib/internal'
import { rulesFile } from '../../stack/services/prometheus'
import { metricNamesIn } from '../support/promql-names'
import { eventually, stackConfig } from './helpers'

/**
 * The Prometheus rules and the Grafana dashboard against the metrics that exist: promtool
 * checks and unit-tests the rules, every query names a listed metric or a recorded rule, and
 * the stack's own Prometheus loads the rules and accepts every dashboard query.
 */
interface Rule {
  record?: string
  alert?: string
  expr: string
}
interface Panel {
  type: string
  title: string
  datasource?: { uid: string }
  targets?: Array<{ expr: string; datasource?: { uid: string } }>
}

const config = stackConfig()
const rulesPath = rulesFile(config)
const rules = (parseYaml(fs.readFileSync(rulesPath, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules)
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])))
const dashboardPath = path.join(projectRoot, 'stack', 'grafana', 'dashboards', 'k2-workbench.json')
const dashboard = JSON.parse(fs.readFileSync(dashboardPath, 'utf8')) as { uid: string; panels: Panel[] }
const panels = dashboard.panels.filter((p) => p.type !== 'row')
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr, uid: t.datasource?.uid ?? p.datasource?.uid })))

/** Names a query may read: the listed metrics (histograms with their series), recorded rules, process metrics, `up`. */
const known = new Set<string>(['up', ...processMetricNames, ...recorded])
for (const def of Object.values(metricDefinitions)) {
  known.add(def.name)
  if (def.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) known.add(def.name + suffix)
}

describe('Prometheus rules', () => {
  it('pass promtool check rules and their promtool unit tests (k2.rules.test.yml)', () => {
    const check = spawnSync('promtool', ['check', 'rules', rulesPath], { encoding: 'utf8' })
    expect(check.error, 'promtool is on PATH (npm run stack -- up installs Debian prometheus)').toBeUndefined()
    expect(check.status, check.stdout + check.stderr).toBe(0)
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/)
    const unit = spawnSync('promtool', ['test', 'rules', path.join(path.dirname(rulesPath), 'k2.rules.test.yml')], { encoding: 'utf8', cwd: path.dirname(rulesPath) })
    expect(unit.status, unit.stdout + unit.stderr).toBe(0)
  })

  it('record ingest rate, lake lag and commit latency quantiles, and alert on lag, dead letters, CIRCUIT_BREAK and stalled commits', () => {
    for (const name of ['k2:ingest_records:rate1m', 'k2:lake_lag_seconds:max', 'k2:sink_commit_latency_seconds:p50', 'k2:sink_commit_latency_seconds:p95', 'k2:sink_commit_latency_seconds:p99']) expect(recorded).toContain(name)
    const alerts = rules.flatMap((r) => (r.alert ? [r.alert] : []))
    expect(alerts).toEqual(expect.arrayContaining(['K2LakeLagHigh', 'K2KafkaLagHigh', 'K2DeadLetters', 'K2CircuitBreak', 'K2CommitsStalled']))
  })

  it('read only metrics that lib/metrics lists', () => {
    for (const rule of rules) for (const name of metricNamesIn(rule.expr)) expect(known, `${rule.record ?? rule.alert}: ${name}`).toContain(name)
  })

  it('are loaded by the native stack’s Prometheus, with a config promtool accepts', async () => {
    const rendered = path.join(config.paths.state, 'prometheus', 'prometheus.yml')
    const check = spawnSync('promtool', ['check', 'config', rendered], { encoding: 'utf8' })
    expect(check.status, check.stdout + check.stderr).toBe(0)
    const groups = await eventually(
      async () => {
        const res = await requestJson<{ data: { groups: Array<{ name: string; rules: Array<{ health: string; lastError?: string }> }> } }>(`${config.prometheus.url}/api/v1/rules`)
        const gs = res.data.groups
        return gs.length >= 2 && gs.every((g) => g.rules.every((r) => r.health === 'ok')) ? gs : undefined
      },
      60_000,
      'Prometheus to load and evaluate the rules (restart it with `npm run stack -- down prometheus && npm run stack -- up` if it predates them)',
    )
    expect(groups.map((g) => g.name).sort()).toEqual(['k2-alerts', 'k2-recording'])
  })
})

describe('Grafana dashboard', () => {
  it('shows ingestion rate, lag, lake lag, degradation, shed/backfilled, commit and query latency, and dead letters', () => {
    const titles = panels.map((p) => p.title)
    for (const t of ['Ingestion rate', 'Lag (records)', 'Lake lag (seconds)', 'Degradation level', 'Shed and backfilled', 'Commit latency', 'Query latency', 'Dead letters']) expect(titles).toContain(t)
  })

  it('names only existing metrics or recorded rules in every query', () => {
    expect(queries.length).toBeGreaterThan(20)
    for (const q of queries) {
      const names = metricNamesIn(q.expr)
      expect(names.length, `${q.panel}: ${q.expr}`).toBeGreaterThan(0)
      for (const name of names) expect(known, `${q.panel}: ${name}`).toContain(name)
    }
  })

  it('queries the provisioned Prometheus data source, which docker-compose mounts with the dashboard', () => {
    const provisioning = path.join(projectRoot, 'stack', 'grafana', 'provisioning')
    const sources = (parseYaml(fs.readFileSync(path.join(provisioning, 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string }> }).datasources
    for (const q of queries) expect(sources.map((s) => s.uid), q.panel).toContain(q.uid)
    const compose = parseYaml(fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[] }> }
    expect(compose.services.grafana!.volumes).toEqual(expect.arrayContaining(['./stack/grafana/provisioning:/etc/grafana/provisioning:ro', './stack/grafana/dashboards:/var/lib/grafana/dashboards:ro']))
    expect(compose.services.prometheus!.volumes).toContain('./stack/prometheus/rules:/etc/prometheus/rules:ro')
  })

  it('has queries the stack’s Prometheus accepts', async () => {
    for (const q of queries) {
      const res = await requestJson<{ status: string }>(`${config.prometheus.url}/api/v1/query?query=${encodeURIComponent(q.expr)}`)
      expect(res.status, `${q.panel}: ${q.expr}`).toBe('success')
    }
  })
})
