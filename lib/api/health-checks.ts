import type { Kafka } from 'kafkajs'
import type { WorkbenchConfig } from '../config/index'
import { requestJson } from '../http/index'
import type { FileIO } from '../iceberg/file-io'
import type { QueryEngine } from '../query/query-engine'
import type { HealthCheck } from './api-server'

/**
 * What /health checks: each service the API depends on, by a cheap real request (no cached
 * state), plus the lake's freshness and the engine's Kafka tail.
 */
export function createHealthChecks(config: WorkbenchConfig, deps: { readonly kafka?: Kafka; readonly io: FileIO; readonly engine: QueryEngine }): HealthCheck[] {
  const admin = deps.kafka?.admin()
  let connected: Promise<void> | undefined
  const checks: HealthCheck[] = [
    {
      name: 'iceberg-rest',
      check: async () => {
        await requestJson(`${config.catalog.url}/v1/config`, { timeoutMs: 2500 })
        return `catalog answers at ${config.catalog.url}`
      },
    },
    {
      name: 'object-store',
      check: async () => {
        await deps.io.list(`s3://${config.s3.bucket}/k2-health/`)
        return `bucket ${config.s3.bucket} lists`
      },
    },
    {
      name: 'lake',
      check: async () => {
        const snaps = await deps.engine.snapshots('trades', { current: true })
        const current = snaps.find((s) => s.current)
        if (!current) return 'market.trades has no snapshot yet (is the sink running?)'
        return `trades at snapshot ${current.snapshotId}, ${current.totalRecords.toLocaleString('en')} records, committed ${((Date.now() - current.timestampMs) / 1000).toFixed(0)} s ago`
      },
    },
  ]
  if (admin) {
    checks.push(
      {
        name: 'kafka',
        check: async () => {
          connected ??= admin.connect().catch((err: unknown) => {
            connected = undefined
            throw err
          })
          await connected
          const offsets = await admin.fetchTopicOffsets(config.topics.trades)
          const high = offsets.reduce((a, p) => a + BigInt(p.high), 0n)
          return `${config.topics.trades}: ${offsets.length} partitions, ${high.toLocaleString('en')} records`
        },
      },
      {
        name: 'schema-registry',
        check: async () => {
          const subjects = await requestJson<string[]>(`${config.schemaRegistry.url}/subjects`, { timeoutMs: 2500 })
          return `${subjects.length} subjects`
        },
      },
      {
        name: 'kafka-tail',
        check: async () => {
          const p = deps.engine.tailPositions('trades')
          if (!p) return 'no tail (lake only)'
          let kept = 0n
          for (const [part, next] of p.next) kept += next - (p.kept.get(part) ?? 0n)
          return `${kept.toLocaleString('en')} trades not yet in the lake`
        },
      },
    )
  }
  return checks
}
