/**
 * What a test run left behind on the user's stack: topics and lake namespaces that tests create
 * under their own names (`k2-test-…`, `k2_test_…`, the resilience notebook's overload demo
 * `k2.nb_degrade_…` / `nb_degrade_…`) and that did not exist when the run began. `npm test`
 * removes them and says how many, so a run leaves the broker and the catalog as it found them
 * even when a test's own clean-up failed.
 */
import { Kafka, logLevel } from 'kafkajs'
import { createRestCatalogClient, requestJson, type WorkbenchConfig } from '../../lib/internal'

const testTopic = /^k2-test-|^k2\.nb_degrade_/
const testNamespace = /^k2_test_|^nb_degrade_/

export interface StackNames {
  readonly topics: readonly string[]
  readonly namespaces: readonly string[]
}

/** Names in `after` that tests make and that were not in `before`. Pure. */
export function leftBehind(before: StackNames, after: StackNames): StackNames {
  const had = { topics: new Set(before.topics), namespaces: new Set(before.namespaces) }
  return {
    topics: after.topics.filter((t) => testTopic.test(t) && !had.topics.has(t)),
    namespaces: after.namespaces.filter((n) => testNamespace.test(n) && !had.namespaces.has(n)),
  }
}

function kafkaAdmin(config: WorkbenchConfig): ReturnType<Kafka['admin']> {
  return new Kafka({ clientId: `${config.kafka.clientId}-test-sweep`, brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING }).admin()
}

export async function readStackNames(config: WorkbenchConfig): Promise<StackNames> {
  const admin = kafkaAdmin(config)
  await admin.connect()
  try {
    const topics = await admin.listTopics()
    const namespaces = await createRestCatalogClient({ url: config.catalog.url }).listNamespaces()
    return { topics, namespaces: namespaces.map((n) => n.join('.')) }
  } finally {
    await admin.disconnect()
  }
}

/** Deletes the topics and drops the namespaces (their tables purged); returns what it could not. */
export async function sweep(config: WorkbenchConfig, names: StackNames): Promise<string[]> {
  const failed: string[] = []
  if (names.topics.length > 0) {
    const admin = kafkaAdmin(config)
    await admin.connect()
    try {
      for (let i = 0; i < names.topics.length; i += 20) await admin.deleteTopics({ topics: names.topics.slice(i, i + 20), timeout: 30_000 }).catch(() => failed.push(...names.topics.slice(i, i + 20)))
    } finally {
      await admin.disconnect()
    }
  }
  const catalog = createRestCatalogClient({ url: config.catalog.url })
  for (const ns of names.namespaces) {
    try {
      const { identifiers } = await requestJson<{ identifiers: Array<{ name: string }> }>(`${config.catalog.url}/v1/namespaces/${encodeURIComponent(ns)}/tables`, { timeoutMs: 10_000 })
      for (const t of identifiers) await catalog.dropTable([ns], t.name, true)
      await catalog.dropNamespace([ns])
    } catch {
      failed.push(ns)
    }
  }
  return failed
}
