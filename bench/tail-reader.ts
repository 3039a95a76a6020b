/**
 * One Kafka tail of `npm run bench:tail`, in a process of its own so its CPU can be measured:
 * `node --import tsx bench/tail-reader.ts <old|new> <spec JSON>`, driven by bench/tail.ts over IPC.
 *
 * `old` loads only what the engine's tail used before issue 16 (the baseline tail module from
 * git, the serde, the table designs, kafkajs with the zstd codec) and none of lib's kafkajs
 * patches; `new` is today's tail as the query engine builds it, through lib; `floor` is kafkajs
 * alone as the new tail drives it (same consumer settings, patches and fetch pacing, records
 * dropped): what any reader on kafkajs pays before decoding a byte.
 */
import { DuckDBInstance } from '@duckdb/node-api'
import { Kafka, logLevel } from 'kafkajs'

export interface Spec {
  readonly brokers: string[]
  readonly registryUrl: string
  readonly topics: { readonly trades: string; readonly quotes: string; readonly deferredTrades: string; readonly deferredQuotes: string }
  readonly baselineFile: string
}
export type Variant = 'old' | 'new' | 'floor'
/** High-water marks per topic and partition. */
export type Offsets = Record<string, Record<number, string>>
/** `begin` starts a measurement; `end` stops it (with `to`: once the tail holds everything below those offsets). */
export type ToChild = { type: 'begin' } | { type: 'end'; to?: Offsets }
export type FromChild =
  | { type: 'ready' }
  | { type: 'measured'; cpuMicros: number; wallMs: number; records: number; skipped: number; batches: number; rows: Record<string, { n: string; hash: string }> }

/** The slice of a tail (old or new) the measurement uses. */
interface Tail {
  readonly stats: { records: number; skipped: number; batches: number }
  selectSql(topic: string, from: ReadonlyMap<number, bigint>, to: ReadonlyMap<number, bigint>): string
  waitFor(topic: string, to: ReadonlyMap<number, bigint>, timeoutMs: number): Promise<void>
  close(): Promise<void>
}

type Connection = Awaited<ReturnType<DuckDBInstance['connect']>>

async function openTail(variant: Variant, spec: Spec, kafka: Kafka, connection: Connection): Promise<{ tail: Tail; read: string[] }> {
  const { topics } = spec
  if (variant === 'old') {
    // The zstd codec the engine's process registered through lib, without lib's kafkajs patches.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../lib/ingest/kafka-zstd.cjs')
    const { createRecordSerde, createSchemaRegistryClient } = await import('../lib/avro/index')
    const { tradesTable, quotesTable } = await import('../lib/iceberg/table-design')
    const { silentLogger } = await import('../lib/logger/index')
    const baseline = (await import(spec.baselineFile)) as { createKafkaTail(options: object): Promise<Tail> }
    const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: spec.registryUrl }) })
    const streams = [
      { topic: topics.trades, schema: tradesTable.schema, decode: (v: Buffer) => serde.deserializeTrade(v), row: (r: never) => tradesTable.row(r), start: new Map() },
      { topic: topics.quotes, schema: quotesTable.schema, decode: (v: Buffer) => serde.deserializeQuote(v), row: (r: never) => quotesTable.row(r), start: new Map() },
    ]
    return { tail: await baseline.createKafkaTail({ streams, connection, kafka, logger: silentLogger }), read: [topics.trades, topics.quotes] }
  }
  if (variant === 'floor') return { tail: await kafkajsAlone(spec, kafka), read: Object.values(topics) }
  const lib = await import('../lib/internal')
  const serde = lib.createRecordSerde({ registry: lib.createSchemaRegistryClient({ url: spec.registryUrl }) })
  const of = (kind: 'trades' | 'quotes', topic: string): ReturnType<typeof lib.marketTailStream> =>
    lib.marketTailStream(kind, { topic, schema: (kind === 'trades' ? lib.tradesTable : lib.quotesTable).schema, start: new Map(), serde })
  const streams = [of('trades', topics.trades), of('quotes', topics.quotes), of('trades', topics.deferredTrades), of('quotes', topics.deferredQuotes)]
  return { tail: await lib.createKafkaTail({ streams, connection, kafka, logger: lib.silentLogger }), read: streams.map((s) => s.topic) }
}

async function main(variant: Variant, spec: Spec): Promise<void> {
  const send = (m: FromChild): void => void process.send!(m)
  const kafka = new Kafka({ clientId: `k2-bench-tail-${variant}`, brokers: spec.brokers, logLevel: logLevel.NOTHING })
  const duck = await DuckDBInstance.create(':memory:', { memory_limit: '2GB' })
  const conn = await duck.connect()
  const { tail, read } = await openTail(variant, spec, kafka, conn)
  send({ type: 'ready' })
  let cpu0 = process.cpuUsage()
  let wall0 = performance.now()
  let records0 = 0
  process.on('message', (m: ToChild) => {
    if (m.type === 'begin') {
      cpu0 = process.cpuUsage()
      wall0 = performance.now()
      records0 = tail.stats.records
      return
    }
    void end(m.to).catch((err: unknown) => {
      process.stderr.write(`tail ${variant}: ${(err as Error).stack ?? String(err)}\n`)
      process.exit(1)
    })
  })

  async function end(to: Offsets | undefined): Promise<void> {
    // Until every record is in the tail's table and visible to a query: what a query waits for.
    for (const topic of to ? read : []) await tail.waitFor(topic, toMap(to![topic] ?? {}), 120_000)
    const cpu = process.cpuUsage(cpu0)
    const wallMs = performance.now() - wall0
    const rows: Record<string, { n: string; hash: string }> = {}
    if (to && variant !== 'floor') {
      const q = await duck.connect()
      for (const topic of [spec.topics.trades, spec.topics.quotes]) {
        const r = await q.runAndReadAll(`SELECT count(*) AS n, bit_xor(hash(t)) AS h FROM (${tail.selectSql(topic, new Map(), toMap(to[topic] ?? {}))}) t`)
        const [n, h] = r.getRows()[0]!
        rows[topic] = { n: String(n), hash: String(h) }
      }
      q.closeSync()
    }
    send({ type: 'measured', cpuMicros: cpu.user + cpu.system, wallMs, records: tail.stats.records - records0, skipped: tail.stats.skipped, batches: tail.stats.batches, rows })
    if (to) {
      await tail.close()
      conn.closeSync()
      duck.closeSync()
      process.exit(0)
    }
  }
}

/** A kafkajs consumer of all four topics set up and paced as the new tail's, keeping only positions. */
async function kafkajsAlone(spec: Spec, kafka: Kafka): Promise<Tail> {
  await import('../lib/internal') // lib's kafkajs patches and zstd codec
  const stats = { records: 0, skipped: 0, batches: 0 }
  const next = new Map<string, bigint>()
  const key = (topic: string, p: number): string => `${topic}|${p}`
  const moved = (topic: string, p: number, last: string): void => {
    if (BigInt(last) + 1n > (next.get(key(topic, p)) ?? 0n)) next.set(key(topic, p), BigInt(last) + 1n)
  }
  const consumer = kafka.consumer({ groupId: `k2-bench-tail-floor-${process.pid}`, readUncommitted: false, maxWaitTimeInMs: 1000, sessionTimeout: 10_000, heartbeatInterval: 1_000 })
  let fetchStartedAt = 0
  let firstOfFetch = false
  consumer.on(consumer.events.FETCH_START, () => (fetchStartedAt = performance.now()))
  consumer.on(consumer.events.FETCH, () => (firstOfFetch = true))
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => moved(e.payload.topic, e.payload.partition, e.payload.lastOffset))
  await consumer.connect()
  await consumer.subscribe({ topics: Object.values(spec.topics), fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (firstOfFetch) {
        firstOfFetch = false
        const wait = fetchStartedAt + 1000 - performance.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      }
      stats.records += batch.messages.length
      stats.batches++
      moved(batch.topic, batch.partition, batch.lastOffset())
    },
  })
  return {
    stats,
    selectSql: () => 'SELECT 1 WHERE false',
    async waitFor(topic, to) {
      for (;;) {
        if ([...to].every(([p, o]) => (next.get(key(topic, p)) ?? 0n) >= o)) return
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    close: () => consumer.disconnect(),
  }
}

function toMap(o: Record<number, string>): Map<number, bigint> {
  return new Map(Object.entries(o).map(([p, v]) => [Number(p), BigInt(v)]))
}

if (require.main === module) {
  const variant = process.argv[2] as Variant
  main(variant, JSON.parse(process.argv[3] ?? '{}') as Spec).catch((err: unknown) => {
    process.stderr.write(`tail ${variant} failed: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  })
}
