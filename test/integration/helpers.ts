import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as os from 'node:os'
import * as path from 'node:path'
import * as net from 'node:net'
import { inject } from 'vitest'
import type { Kafka } from 'kafkajs'
import { encodeProgress, isTransientError, loadConfig, pollUntil, projectRoot, type SchemaRegistryClient, type WorkbenchConfig } from '../../lib/internal'
import { freshTopicOffsets } from '../../lib/internal'

/** The running stack's config, as entry points see it (environment over generated credentials). */
export function stackConfig(): WorkbenchConfig {
  return loadConfig(process.env)
}

/** A name no other test run uses: `k2-test-<what>-<random>` (underscores where dashes are not allowed). */
export function uniqueName(what: string, separator: '-' | '_' = '-'): string {
  return ['k2', 'test', what, randomBytes(4).toString('hex')].join(separator)
}

/**
 * A working folder path of its own (not created) inside this run's scratch folder, which the
 * run removes when it ends (scratch-setup.ts): a sink's staging, a query cache.
 */
export function scratchDir(what: string): string {
  return path.join(inject('scratchRoot') ?? os.tmpdir(), uniqueName(what))
}

/** An error that stops `eventually` at once (a worker the test waits on has died). */
export class FatalError extends Error {
  override readonly name = 'FatalError'
}

/**
 * Polls `check` until it returns a value (not undefined) or the time is up; a FatalError ends it at
 * once. `what` may be a function, so a description that quotes logs is made when it fails.
 */
export const eventually = <T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string | (() => string)): Promise<T> =>
  pollUntil(check, { timeoutMs, what, isFatal: (err) => err instanceof FatalError })

/** A TCP port free on loopback right now (for a worker a test starts). */
export async function freePort(): Promise<number> {
  for (;;) {
    const s = net.createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
    const port = (s.address() as net.AddressInfo).port
    await new Promise((r) => s.close(r))
    // The kernel may offer a port it offered a moment ago, before the worker given it has bound
    // it: two workers of one test would then race for it. Never hand out the same port twice.
    if (handedOut.has(port)) continue
    handedOut.add(port)
    return port
  }
}
const handedOut = new Set<number>()

/** Deletes a test's topics and the value subjects registered for them (missing ones are fine). */
export async function dropTopics(kafka: Kafka, topics: readonly string[], registry?: SchemaRegistryClient): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [...topics] }).catch(() => {})
  await admin.disconnect()
  for (const t of topics) await registry?.deleteSubject(`${t}-value`)
}

/**
 * A topic's offsets, asked again (each time through a new admin client, with fresh metadata) while
 * the broker answers with a retriable error: a topic created a moment ago on a busy machine may
 * still be electing its leaders (NOT_LEADER_FOR_PARTITION).
 */
export async function topicOffsets(kafka: Kafka, topic: string): Promise<Array<{ partition: number; high: string; low: string }>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await freshTopicOffsets(kafka, topic)
    } catch (err) {
      if (attempt >= 20 || !isTransientError(err)) throw err
      await new Promise((r) => setTimeout(r, 250 * attempt))
    }
  }
}

/**
 * Reads a whole topic (committed records only) from the beginning up to the end a read_committed
 * reader can reach now: each partition's position, from kafkajs's end-of-batch event (which also
 * fires for batches of transaction markers only), must reach its last stable offset. Counting
 * records against offsets would wait forever on a transactional topic, whose markers take
 * offsets too.
 */
export async function readTopic(kafka: Kafka, topic: string): Promise<Array<{ key: string | null; value: Buffer; headers: Record<string, string> }>> {
  const offsets = await topicOffsets(kafka, topic)
  const ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]))
  const out: Array<{ key: string | null; value: Buffer; headers: Record<string, string> }> = []
  if (ends.size === 0) return out
  const reached = new Map<number, bigint>()
  const consumer = kafka.consumer({ groupId: uniqueName('reader') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} records of ${topic}, positions ${JSON.stringify(Object.fromEntries([...reached].map(([p, o]) => [p, String(o)])))} of ends ${JSON.stringify(Object.fromEntries([...ends].map(([p, o]) => [p, String(o)])))}`)), 60_000)
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic || payload.lastOffset === null) return
      reached.set(payload.partition, BigInt(payload.lastOffset) + 1n)
      if ([...ends].every(([p, end]) => (reached.get(p) ?? 0n) >= end)) {
        clearTimeout(timer)
        resolve()
      }
    })
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v)
          out.push({ key: m.key?.toString() ?? null, value: m.value!, headers })
        }
      },
    })
  })
  await consumer.disconnect()
  return out
}

/** A pipeline worker (`pipelines/<script>`) as its own node process, with its output kept. */
export function startWorker(script: string, env: Record<string, string | undefined>): { child: ChildProcess; exited: Promise<number | null>; output: () => string; describe: () => string } {
  let out = ''
  let ended: string | undefined
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'pipelines', script)], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  child.once('error', (err) => (ended ??= `failed to start: ${err.message}`))
  // 'close', not 'exit': it comes once the output pipes are drained too, so a failure message
  // holds the worker's last lines (on 'exit' a worker's final error was missing once).
  const exited = new Promise<number | null>((r) =>
    child.once('close', (code, signal) => {
      ended ??= `exited ${signal ?? code}`
      r(code)
    }),
  )
  // For a failure message: the worker, whether it still runs, and the end of what it printed.
  const describe = (): string => `${script} (pid ${child.pid ?? '-'}, ${ended ?? 'running'}): ${out.slice(-600).trim() || '(no output)'}`
  return { child, exited, output: () => out, describe }
}

/**
 * A stand-in for the Iceberg sink's group, as the ingest's shedder sees it: a member of `groupId`
 * that every 200 ms commits, for each partition of `topics`, the lake's offset and the sink's
 * progress (sink-progress.ts). Until `catchUp()` it has read and committed nothing, so its
 * backlog grows with the input; after, it has read and committed everything up to the end.
 */
export async function standInSink(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<{ catchUp(): void; stop(): Promise<void> }> {
  const admin = kafka.admin()
  await admin.connect()
  const consumer = kafka.consumer({ groupId })
  await consumer.connect()
  await consumer.subscribe({ topics: [...topics], fromBeginning: true })
  await consumer.run({ autoCommit: false, eachBatch: async () => undefined })
  let caughtUp = false
  let stopped = false
  const publish = async (): Promise<void> => {
    const now = Date.now()
    const offsets = []
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const at = caughtUp ? BigInt(p.high) : BigInt(p.low)
        offsets.push({ topic, partition: p.partition, offset: String(at), metadata: encodeProgress({ read: at, cadenceMs: 30_000, atMs: now }) })
      }
    }
    await consumer.commitOffsets(offsets)
  }
  const loop = (async () => {
    while (!stopped) {
      await publish().catch(() => undefined)
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  return {
    catchUp: () => void (caughtUp = true),
    async stop() {
      stopped = true
      await loop
      await consumer.disconnect()
      await admin.disconnect()
    },
  }
}
