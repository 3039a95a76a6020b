import { randomBytes } from 'node:crypto'
import * as net from 'node:net'
import type { Kafka } from 'kafkajs'
import { loadConfig, type SchemaRegistryClient, type WorkbenchConfig } from '../../lib'

/** The running stack's config, as entry points see it (environment over generated credentials). */
export function stackConfig(): WorkbenchConfig {
  return loadConfig(process.env)
}

/** A name no other test run uses: `k2-test-<what>-<random>` (underscores where dashes are not allowed). */
export function uniqueName(what: string, separator: '-' | '_' = '-'): string {
  return ['k2', 'test', what, randomBytes(4).toString('hex')].join(separator)
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}

/** A TCP port free on loopback right now (for a worker a test starts). */
export async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

/** Deletes a test's topics and the value subjects registered for them (missing ones are fine). */
export async function dropTopics(kafka: Kafka, topics: readonly string[], registry?: SchemaRegistryClient): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [...topics] }).catch(() => {})
  await admin.disconnect()
  for (const t of topics) await registry?.deleteSubject(`${t}-value`)
}
