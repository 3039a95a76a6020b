import * as fs from 'node:fs'
import * as path from 'node:path'
import type { WorkbenchConfig } from '../../lib/internal'
import { requestJson } from '../../lib/internal'
import { renderTemplate, type ServiceContext, type ServiceDefinition } from '../lib/service'
import { runStep, which } from '../lib/provision'

/** Folder where workers drop their file_sd scrape-target files. */
export function scrapeTargetsDir(config: WorkbenchConfig): string {
  return config.paths.scrapeTargets
}

/** The workbench's recording and alerting rules (one file for the native stack and compose). */
export function rulesFile(config: WorkbenchConfig): string {
  return path.join(config.paths.root, 'stack', 'prometheus', 'rules', 'k2.rules.yml')
}

/** Prometheus from Debian's package, scraping itself and every worker that registered a target file. */
export const prometheus: ServiceDefinition = {
  name: 'prometheus',
  group: 'infra',
  title: 'Prometheus (Debian)',
  version: 'debian',
  dependsOn: [],
  requirements: [],
  startTimeoutMs: 60_000,
  ports: (c) => [c.prometheus.port],
  address: (c) => c.prometheus.url,

  async provision(ctx) {
    if (which('prometheus')) return
    if (!which('apt-get')) {
      throw new Error('prometheus is not installed and apt-get is not available: install Prometheus 2.x and put it on PATH')
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const apt = process.getuid?.() === 0 ? 'apt-get' : 'sudo'
    const pre = apt === 'sudo' ? ['apt-get'] : []
    await runStep(ctx.reporter, 'prometheus', 'apt-get update', apt, [...pre, 'update', '-q'], { logFile: ctx.provisionLog, env })
    await runStep(ctx.reporter, 'prometheus', 'installing Debian package prometheus', apt, [...pre, 'install', '-y', '-q', '--no-install-recommends', 'prometheus'], {
      logFile: ctx.provisionLog,
      env,
    })
  },

  async prepare(ctx) {
    const { config } = ctx
    const targets = scrapeTargetsDir(config)
    fs.mkdirSync(targets, { recursive: true })
    const template = fs.readFileSync(path.join(config.paths.root, 'stack', 'prometheus', 'prometheus.yml.template'), 'utf8')
    const file = path.join(ctx.stateDir, 'prometheus.yml')
    fs.writeFileSync(file, renderTemplate(template, { HOST: config.host, PORT: config.prometheus.port, TARGETS_DIR: targets, RULES_FILE: rulesFile(config) }))
    return {
      command: 'prometheus',
      args: [
        `--config.file=${file}`,
        `--storage.tsdb.path=${path.join(ctx.stateDir, 'data')}`,
        `--web.listen-address=${config.host}:${config.prometheus.port}`,
        '--web.enable-lifecycle',
        '--storage.tsdb.retention.time=7d',
      ],
    }
  },

  marker: (ctx) => `--web.listen-address=${ctx.config.host}:${ctx.config.prometheus.port}`,

  async health(ctx: ServiceContext) {
    await requestJson(`${ctx.config.prometheus.url}/-/ready`, { timeoutMs: 2000 })
    const info = await requestJson<{ data?: { version?: string } }>(`${ctx.config.prometheus.url}/api/v1/status/buildinfo`, { timeoutMs: 2000 })
    return info.data?.version
  },
}
