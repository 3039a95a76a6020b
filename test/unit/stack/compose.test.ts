import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { configKeys, parseConfig, projectRoot } from '../../../lib/internal'
import { allServices } from '../../../stack/services'

interface ComposeService {
  ports?: string[]
  environment?: Record<string, string | number>
}
const compose = parse(fs.readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> }
// "127.0.0.1:9092:9092": host address, host port, container port.
const hostPorts = (s: ComposeService | undefined): number[] => (s?.ports ?? []).map((p) => Number(String(p).split(':').at(-2)))

/** The workbench talks to either stack through the same config: names, ports and keys must agree. */
describe('docker-compose.yml and the native stack agree', () => {
  const defaults = parseConfig({}, projectRoot)

  it('has a service of the same name for every native service', () => {
    const missing = allServices.map((s) => s.name).filter((n) => !compose.services[n])
    expect(missing).toEqual([])
  })

  it('publishes each service on the port the native stack uses by default', () => {
    const mismatched = allServices.flatMap((s) => {
      const native = s.ports(defaults).filter((p) => p !== defaults.kafka.controllerPort)
      const published = hostPorts(compose.services[s.name])
      return native.filter((p) => !published.includes(p)).map((p) => `${s.name}: native ${p}, compose ${published.join(',') || 'none'}`)
    })
    expect(mismatched).toEqual([])
  })

  it('publishes every port on loopback only (nothing on this stack has authentication)', () => {
    const open = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).filter((p) => !String(p).startsWith('127.0.0.1:')).map((p) => `${name}: ${p}`))
    expect(open).toEqual([])
  })

  it('keeps .env, where compose reads secrets from, out of git', () => {
    const ignored = fs.readFileSync(path.join(projectRoot, '.gitignore'), 'utf8').split('\n').map((l) => l.trim())
    expect(ignored).toContain('.env')
  })

  it('gives the workbench container only keys the typed config reads, and every address and secret it needs', () => {
    const env = compose.services.jupyter?.environment ?? {}
    const known = new Set(configKeys().map((k) => k.key))
    const k2Keys = Object.keys(env).filter((k) => k.startsWith('K2_'))
    expect(k2Keys.filter((k) => !known.has(k))).toEqual([])
    const needed = ['K2_KAFKA_BROKERS', 'K2_SCHEMA_REGISTRY_URL', 'K2_CATALOG_URL', 'K2_S3_ENDPOINT', 'K2_PROMETHEUS_URL', ...configKeys().filter((k) => k.secret).map((k) => k.key)]
    expect(needed.filter((k) => !(k in env))).toEqual([])
  })

  it('takes every secret from the environment, never a literal', () => {
    const secrets = configKeys().filter((k) => k.secret).map((k) => k.key)
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (secrets.includes(key) || /PASSWORD|SECRET/.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{K2_[A-Z0-9_]+:\?/)
      }
    }
  })

  it('points the workbench at the same schema registry path as the native stack', () => {
    const url = new URL(String(compose.services.jupyter?.environment?.K2_SCHEMA_REGISTRY_URL))
    expect(url.pathname).toBe(new URL(defaults.schemaRegistry.url).pathname)
  })
})
