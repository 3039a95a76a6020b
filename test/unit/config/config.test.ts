import { describe, expect, it } from 'vitest'
import { configKeys, isWorkbenchError, parseConfig, parseEnvFile, requireSecret } from '../../../lib/internal'

describe('parseConfig', () => {
  it('gives a loopback stack on the standard ports when nothing is set', () => {
    const c = parseConfig({}, '/repo')
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092'])
    expect(c.schemaRegistry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7')
    expect(c.catalog.url).toBe('http://127.0.0.1:8181')
    expect(c.s3.endpoint).toBe('http://127.0.0.1:9000')
    expect(c.prometheus.url).toBe('http://127.0.0.1:9090')
    expect(c.paths.state).toBe('/repo/.state')
    expect(c.s3.secretAccessKey).toBeUndefined()
  })

  it('moves every default port with K2_PORT_OFFSET so a second stack does not collide', () => {
    const a = parseConfig({}, '/repo')
    const b = parseConfig({ K2_PORT_OFFSET: '1000', K2_STATE_DIR: '/tmp/other' }, '/repo')
    const ports = (c: typeof a): number[] => [c.kafka.port, c.kafka.controllerPort, c.schemaRegistry.port, c.catalog.port, c.s3.port, c.s3.consolePort, c.prometheus.port, c.jupyter.port]
    expect(ports(b)).toEqual(ports(a).map((p) => p + 1000))
    expect(ports(b).filter((p) => ports(a).includes(p))).toEqual([])
    expect(b.kafka.brokers).toEqual(['127.0.0.1:10092'])
    expect(b.paths.state).toBe('/tmp/other')
  })

  it('derives URLs from an explicit port and keeps explicit URLs as given', () => {
    const c = parseConfig({ K2_CATALOG_PORT: '18181', K2_SCHEMA_REGISTRY_URL: 'http://registry:8081/', K2_KAFKA_BROKERS: 'kafka:9092, kafka2:9092' })
    expect(c.catalog.url).toBe('http://127.0.0.1:18181')
    expect(c.schemaRegistry.url).toBe('http://registry:8081')
    expect(c.kafka.brokers).toEqual(['kafka:9092', 'kafka2:9092'])
  })

  it.each([
    [{ K2_KAFKA_PORT: 'abc' }, 'K2_KAFKA_PORT="abc" is not a TCP port'],
    [{ K2_KAFKA_PORT: '70000' }, 'K2_KAFKA_PORT="70000" is not a TCP port'],
    [{ K2_S3_ENDPOINT: 'not a url' }, 'K2_S3_ENDPOINT="not a url" is not a URL'],
    [{ K2_LOG_LEVEL: 'loud' }, 'K2_LOG_LEVEL="loud" is not one of debug, info, warn, error, silent'],
    [{ K2_KAFKA_BROKERS: 'localhost' }, 'K2_KAFKA_BROKERS entry "localhost" is not host:port'],
    [{ K2_CATALOG_PORT: '9092' }, 'K2_CATALOG_PORT and K2_KAFKA_PORT are both 9092'],
    [{ K2_PORT_OFFSET: '100' }, 'K2_PORT_OFFSET=100 is not a multiple of 1000'],
    [{ K2_S3_BUCKET: 'Bad_Bucket' }, 'K2_S3_BUCKET="Bad_Bucket" is not a valid bucket name'],
  ])('rejects %j with a message naming the key', (env, message) => {
    expect(() => parseConfig(env)).toThrow(message)
  })

  it('refuses an orphan age that could delete files the sink has uploaded but not yet committed', () => {
    const err = (() => {
      try {
        parseConfig({ K2_MAINTENANCE_ORPHAN_MIN_AGE_MS: '600000', K2_SINK_MAX_UNCOMMITTED_MS: '600000' }, '/repo')
      } catch (e) {
        return e as Error
      }
    })()
    expect(err?.message).toContain('K2_MAINTENANCE_ORPHAN_MIN_AGE_MS=600000 must be at least twice K2_SINK_MAX_UNCOMMITTED_MS=600000')
    expect(parseConfig({ K2_MAINTENANCE_ORPHAN_MIN_AGE_MS: '1200000', K2_SINK_MAX_UNCOMMITTED_MS: '600000' }, '/repo').sink.maxUncommittedMs).toBe(600000)
  })

  it('reads sink chaos phases and refuses unknown ones', () => {
    expect(parseConfig({ K2_SINK_CHAOS: 'commit-sent:0.5, committed:1' }, '/repo').sink.chaos).toEqual({ 'commit-sent': 0.5, committed: 1 })
    expect(parseConfig({}, '/repo').sink.chaos).toEqual({})
    expect(() => parseConfig({ K2_SINK_CHAOS: 'mid-flight:0.5' }, '/repo')).toThrow(/K2_SINK_CHAOS entry "mid-flight:0.5" is not phase:probability/)
    expect(() => parseConfig({ K2_SINK_CHAOS: 'committed:2' }, '/repo')).toThrow(/K2_SINK_CHAOS/)
  })

  it('reports every bad key at once, as CONFIG_INVALID', () => {
    try {
      parseConfig({ K2_KAFKA_PORT: 'x', K2_PROMETHEUS_PORT: 'y' })
      expect.unreachable()
    } catch (err) {
      expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
      expect((err as Error).message).toContain('K2_KAFKA_PORT')
      expect((err as Error).message).toContain('K2_PROMETHEUS_PORT')
    }
  })

  it('documents every key it reads, secrets without a default', () => {
    const keys = configKeys()
    const names = keys.map((k) => k.key)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toContain('K2_KAFKA_BROKERS')
    for (const k of keys) expect(k.description.length).toBeGreaterThan(5)
    expect(keys.filter((k) => k.secret).every((k) => k.default === undefined)).toBe(true)
    expect(keys.filter((k) => k.secret).map((k) => k.key)).toEqual(['K2_S3_ACCESS_KEY', 'K2_S3_SECRET_KEY', 'K2_JUPYTER_TOKEN'])
  })

  it('names the key to set when a secret is missing', () => {
    expect(() => requireSecret(undefined, 'K2_S3_SECRET_KEY')).toThrow(/K2_S3_SECRET_KEY is not set/)
    expect(requireSecret('s3cr3t', 'K2_S3_SECRET_KEY')).toBe('s3cr3t')
  })
})

describe('parseEnvFile', () => {
  it('reads KEY=value lines, skipping comments and removing quotes', () => {
    expect(parseEnvFile('# c\nA=1\n\nexport B="two words"\nC=\'x=y\'\nnot a line\n')).toEqual({ A: '1', B: 'two words', C: 'x=y' })
  })
})

describe('the sink consumer group', () => {
  it('differs between sinks of other tables or topics, so a second sink never takes the first one partitions', () => {
    const group = (env: Record<string, string>): string => parseConfig(env, '/repo').sink.groupId
    expect(group({})).toBe('k2-iceberg-sink.market.market.crypto.trades.binance')
    expect(group({ K2_SINK_NAMESPACE: 'test_ns' })).not.toBe(group({}))
    expect(group({ K2_TOPIC_TRADES: 'test.trades' })).not.toBe(group({}))
    expect(group({ K2_SINK_GROUP: 'mine' })).toBe('mine')
  })
})
