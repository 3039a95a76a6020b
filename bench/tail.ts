/**
 * `npm run bench:tail [-- --rate 2600] [--seconds 60] [--idle-seconds 10] [--floor] [--baseline <git revision>] [--profile <dir>]`
 *
 * What the query engine's Kafka tail costs per record, the new path against the old one in the
 * same run, on the running local stack:
 * 1. Fresh topics of this run (trades, quotes and their `.deferred` topics, as many partitions as
 *    the configured ones), the schemas registered as the ingestor registers them.
 * 2. Two child processes, each one tail as a query engine runs it, reading the same topics at the
 *    same time: `old` is lib/query/kafka-tail.ts as of the baseline revision (taken from git,
 *    unchanged) with the streams the engine gave it then (serde decode and TableDesign.row per
 *    record, hot topics only); `new` is the current tail with the engine's current streams
 *    (compiled column decoders, the hot and the deferred topics).
 * 3. Idle: both run for `idle-seconds` with nothing produced (the fetch loop alone).
 * 4. Load: this process produces at `rate` records/s for `seconds` the way the ingest worker does
 *    (synthetic market → Binance frames → the ingest normaliser → the serde's encoder → the
 *    batching producer, one zstd transaction per batch, linger as configured); then each child
 *    waits until its tail holds everything and every row is appended and visible to a query.
 *    CPU per record = process.cpuUsage of the child over the load window / records produced.
 * 5. Both tails must hold the same rows: count and an order-free hash of every converted row.
 * With `--floor`, a third process runs kafkajs alone as the new tail drives it (records dropped):
 * the part of the new figure that is the Kafka client's.
 * Writes docs/bench/tail.json and docs/bench/tail.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  captureLine,
  createBatchingProducer,
  createKafkaSender,
  createRecordSerde,
  createSchemaRegistryClient,
  createSyntheticMarket,
  ensureTopics,
  loadConfig,
  normaliseBinanceFrame,
  projectRoot,
  silentLogger,
  type OutgoingRecord,
} from '../lib/internal'
// After lib: lib/ingest registers the zstd codec.
import { Kafka, logLevel } from 'kafkajs'
import { describeMachine } from './machine'
import { arg, declareArgs, flag } from './bench-kit'
import type { FromChild, Offsets, Spec, ToChild, Variant } from './tail-reader'

declareArgs({ 'baseline': 'string', 'idle-seconds': 'string', 'profile': 'string', 'rate': 'string', 'seconds': 'string', 'floor': 'boolean' })

/** lib/query/kafka-tail.ts before issue 16's cheap tail: the baseline the new path is measured against. */
const defaultBaseline = 'aeaf19426f4240df46dcbadc8a1f71c2885ff49c'

const say = (msg: string): boolean => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`)
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits


// ---- parent: topics, producer, report --------------------------------------------------------

interface Child {
  readonly variant: Variant
  readonly proc: ChildProcess
  next(): Promise<FromChild>
}

function startChild(variant: Variant, spec: Spec): Child {
  // `--profile <dir>`: each tail process writes a V8 CPU profile there (open it in Chrome DevTools).
  const profile = arg('profile', '')
  if (profile) fs.mkdirSync(profile, { recursive: true })
  const node = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile, variant)}`] : []), '--import', 'tsx']
  const proc = spawn(process.execPath, [...node, path.join(__dirname, 'tail-reader.ts'), variant, JSON.stringify(spec)], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const inbox: FromChild[] = []
  const waiting: Array<(m: FromChild) => void> = []
  proc.on('message', (m: FromChild) => (waiting.length ? waiting.shift()!(m) : inbox.push(m)))
  proc.on('exit', (code) => {
    if (code !== 0) for (const w of waiting.splice(0)) w({ type: 'measured', cpuMicros: NaN, wallMs: NaN, records: 0, skipped: 0, batches: 0, rows: {} })
  })
  return { variant, proc, next: () => (inbox.length ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiting.push(r))) }
}

/** The baseline tail module, from git at `revision`, with its imports pointed at today's lib (none of them changed shape). */
function extractBaseline(revision: string, dir: string): string {
  const source = execFileSync('git', ['show', `${revision}:lib/query/kafka-tail.ts`], { cwd: projectRoot, encoding: 'utf8' })
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'kafka-tail-baseline.ts')
  const rel = path.relative(dir, path.join(projectRoot, 'lib')).split(path.sep).join('/')
  fs.writeFileSync(file, source.replace(/from '\.\.\//g, `from '${rel}/`))
  return file
}

/** Produces `rate` records/s for `seconds` as the ingest worker does; returns the counts. */
async function produceLive(kafka: Kafka, spec: Spec, rate: number, seconds: number): Promise<{ trades: number; quotes: number }> {
  const config = loadConfig(process.env)
  const serde = createRecordSerde({ registry: createSchemaRegistryClient({ url: spec.registryUrl }) })
  await serde.registerSchemas(spec.topics)
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: `k2-bench-tail-${process.pid}` })
  await producer.connect()
  const sender = createKafkaSender(producer, { transactional: true })
  const batching = createBatchingProducer<undefined>(sender, { maxRecords: config.ingest.batchMaxRecords, maxBytes: 4 * 2 ** 20, lingerMs: config.ingest.lingerMs, compression: config.ingest.compression }, { logger: silentLogger })
  const market = createSyntheticMarket({ seed: 16, actionsPerSecond: rate })
  const symbols = new Map(market.instruments.map((i) => [i.symbol, { symbol: i.symbol, baseAsset: i.baseAsset, quoteAsset: i.quoteAsset }]))
  const counts = { trades: 0, quotes: 0 }
  let seq = 0n
  const start = performance.now()
  for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) - counts.trades - counts.quotes
    for (let i = 0; i < due; i++) {
      const n = normaliseBinanceFrame(captureLine(market.next()), { exchange: 'BINANCE', symbols, receivedMicros: BigInt(Date.now()) * 1000n, timeUnit: 'ms', maxFrameBytes: 65536 })
      let record: OutgoingRecord<undefined>
      if (n.kind === 'trade') {
        record = { topic: spec.topics.trades, key: n.trade.symbol, value: serde.serializeTrade({ ...n.trade, platformSequence: ++seq }), meta: undefined }
        counts.trades++
      } else if (n.kind === 'quote') {
        record = { topic: spec.topics.quotes, key: n.quote.symbol, value: serde.serializeQuote({ ...n.quote, platformSequence: ++seq }), meta: undefined }
        counts.quotes++
      } else throw new Error(`the synthetic market gave a frame the normaliser does not take: ${n.kind}`)
      batching.enqueue(record)
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  await batching.flush()
  await sender.close()
  return counts
}

/**
 * The read_committed high-water marks once the last transaction is visible: a commit is
 * acknowledged before its markers reach every partition, so the marks are read until they
 * stop moving.
 */
async function settledHighWaterMarks(admin: ReturnType<Kafka['admin']>, topics: readonly string[]): Promise<Offsets> {
  let last = ''
  for (;;) {
    const to: Offsets = {}
    for (const topic of topics) to[topic] = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]))
    const now = JSON.stringify(to)
    if (now === last) return to
    last = now
    await new Promise((r) => setTimeout(r, 500))
  }
}

async function main(): Promise<void> {
  const rate = Number(arg('rate', '2600'))
  const seconds = Number(arg('seconds', '60'))
  const idleSeconds = Number(arg('idle-seconds', '10'))
  const baseline = arg('baseline', defaultBaseline)
  const config = loadConfig(process.env)
  const run = `k2-bench-tail-${Date.now()}`
  const topics = { trades: `${run}-trades`, quotes: `${run}-quotes`, deferredTrades: `${run}-trades.deferred`, deferredQuotes: `${run}-quotes.deferred` }
  const workDir = path.join(projectRoot, '.state', 'bench-tail')
  const spec: Spec = { brokers: [...config.kafka.brokers], registryUrl: config.schemaRegistry.url, topics, baselineFile: extractBaseline(baseline, workDir) }
  const kafka = new Kafka({ clientId: 'k2-bench-tail', brokers: spec.brokers, logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const registry = createSchemaRegistryClient({ url: spec.registryUrl })
  const children: Child[] = []
  try {
    await ensureTopics(admin, Object.values(topics).map((topic) => ({ topic, partitions: config.topics.partitions })))
    await createRecordSerde({ registry }).registerSchemas(topics)
    say(`topics ${run}-*, ${config.topics.partitions} partitions each; baseline tail from ${baseline.slice(0, 10)}`)
    for (const v of flag('floor') ? (['old', 'new', 'floor'] as const) : (['old', 'new'] as const)) children.push(startChild(v, spec))
    for (const c of children) if ((await c.next()).type !== 'ready') throw new Error(`the ${c.variant} tail did not start`)

    say(`idle: ${idleSeconds} s with nothing produced`)
    for (const c of children) c.proc.send({ type: 'begin' } satisfies ToChild)
    await new Promise((r) => setTimeout(r, idleSeconds * 1000))
    for (const c of children) c.proc.send({ type: 'end' } satisfies ToChild)
    const idle = await Promise.all(children.map((c) => c.next()))

    say(`load: ${rate} records/s for ${seconds} s, produced as the ingest worker does`)
    for (const c of children) c.proc.send({ type: 'begin' } satisfies ToChild)
    const produced = await produceLive(kafka, spec, rate, seconds)
    const to = await settledHighWaterMarks(admin, Object.values(topics))
    for (const c of children) c.proc.send({ type: 'end', to } satisfies ToChild)
    const load = await Promise.all(children.map((c) => c.next()))
    report({ rate, seconds, idleSeconds, baseline, partitions: config.topics.partitions, produced, children, idle, load, topics })
  } finally {
    // Each tail exits on its own once measured (writing its profile with --profile); stragglers are stopped.
    await Promise.all(children.map((c) => (c.proc.exitCode === null ? new Promise((r) => setTimeout(r, 15_000).unref() && c.proc.once('exit', r)) : undefined)))
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill()
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined)
    await admin.disconnect()
    for (const t of [topics.trades, topics.quotes]) await registry.deleteSubject(`${t}-value`).catch(() => undefined)
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

interface ReportInput {
  readonly rate: number
  readonly seconds: number
  readonly idleSeconds: number
  readonly baseline: string
  readonly partitions: number
  readonly produced: { trades: number; quotes: number }
  readonly children: readonly Child[]
  readonly idle: readonly FromChild[]
  readonly load: readonly FromChild[]
  readonly topics: Spec['topics']
}

function report(input: ReportInput): void {
  const total = input.produced.trades + input.produced.quotes
  const figure = (i: number): Record<string, unknown> => {
    const idle = input.idle[i] as Extract<FromChild, { type: 'measured' }>
    const load = input.load[i] as Extract<FromChild, { type: 'measured' }>
    const idleCoreShare = idle.cpuMicros / 1000 / idle.wallMs
    return {
      microsPerRecord: round(load.cpuMicros / total, 2),
      // The same less what the fetch loop costs with nothing to read.
      microsPerRecordAboveIdle: round((load.cpuMicros - idleCoreShare * load.wallMs * 1000) / total, 2),
      idleCoreShare: round(idleCoreShare, 4),
      recordsRead: load.records,
      skipped: load.skipped,
      fetchedBatches: load.batches,
      loadWallSeconds: round(load.wallMs / 1000, 1),
      rows: load.rows,
    }
  }
  const [old, next] = [figure(0), figure(1)]
  const floor = input.children[2] ? figure(2) : undefined
  const same = JSON.stringify(old.rows) === JSON.stringify(next.rows)
  const expected = { [input.topics.trades]: String(input.produced.trades), [input.topics.quotes]: String(input.produced.quotes) }
  const complete = [old, next].every((f) => Object.entries(expected).every(([t, n]) => (f.rows as Record<string, { n: string }>)[t]?.n === n))
  const ratio = round((old.microsPerRecord as number) / (next.microsPerRecord as number), 1)
  const result = {
    machine: describeMachine(),
    command: `npm run bench:tail -- --rate ${input.rate} --seconds ${input.seconds} --idle-seconds ${input.idleSeconds}${input.children[2] ? ' --floor' : ''}`,
    date: new Date().toISOString(),
    baselineRevision: input.baseline,
    topics: { partitions: input.partitions, hot: 2, deferred: 2 },
    produced: { ...input.produced, recordsPerSecond: input.rate, seconds: input.seconds, how: 'synthetic market → Binance frames → ingest normaliser → serde → batching producer, one zstd transaction per batch' },
    old,
    new: next,
    ...(floor ? { kafkajsAlone: { microsPerRecord: floor.microsPerRecord, microsPerRecordAboveIdle: floor.microsPerRecordAboveIdle, idleCoreShare: floor.idleCoreShare, fetchedBatches: floor.fetchedBatches } } : {}),
    ratio,
    sameRows: same,
    complete,
    apiIdleCoreShareAtRate: { old: round(((old.microsPerRecord as number) * input.rate) / 1e6, 3), new: round(((next.microsPerRecord as number) * input.rate) / 1e6, 3) },
  }
  const dir = path.join(projectRoot, 'docs', 'bench')
  fs.writeFileSync(path.join(dir, 'tail.json'), JSON.stringify(result, null, 1) + '\n')
  const m = result.machine
  const md = [
    '# Kafka tail: CPU per record, old path against new',
    '',
    `\`${result.command}\` — ${result.date.slice(0, 10)}, ${m.cpu} (${m.cores} cores, shared with the running stack), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.`,
    '',
    `Both tails read the same live topics at the same time, each in its own process: ${total.toLocaleString('en')} records (${input.produced.trades.toLocaleString('en')} trades, ${input.produced.quotes.toLocaleString('en')} quotes) produced at ${input.rate.toLocaleString('en')} records/s for ${input.seconds} s the way the ingest worker produces them (${result.produced.how}), ${input.partitions} partitions per topic.`,
    `**old**: lib/query/kafka-tail.ts at ${input.baseline.slice(0, 10)} with the engine's streams of then (avsc decode, TableDesign.row and staging per record; a DataChunk append and flush per fetched batch; the two hot topics). **new**: the current tail with the engine's streams (a decoder compiled per schema id straight into column arrays; 2,048-row DataChunk appends, flushed when a query needs the rows; the hot and the deferred topics).`,
    '',
    `| | old | new |${floor ? ' kafkajs alone |' : ''}`,
    `|---|---:|---:|${floor ? '---:|' : ''}`,
    `| CPU per record (µs) | ${old.microsPerRecord} | ${next.microsPerRecord} |${floor ? ` ${floor.microsPerRecord} |` : ''}`,
    `| … above the idle fetch loop (µs) | ${old.microsPerRecordAboveIdle} | ${next.microsPerRecordAboveIdle} |${floor ? ` ${floor.microsPerRecordAboveIdle} |` : ''}`,
    `| idle, nothing produced (share of a core) | ${old.idleCoreShare} | ${next.idleCoreShare} |${floor ? ` ${floor.idleCoreShare} |` : ''}`,
    `| a reader at ${input.rate.toLocaleString('en')} records/s (share of a core) | ${result.apiIdleCoreShareAtRate.old} | ${result.apiIdleCoreShareAtRate.new} |${floor ? ` ${round(((floor.microsPerRecord as number) * input.rate) / 1e6, 3)} |` : ''}`,
    `| fetched batches | ${old.fetchedBatches} | ${next.fetchedBatches} |${floor ? ` ${floor.fetchedBatches} |` : ''}`,
    '',
    ...(floor ? ['**kafkajs alone** is a third process reading the same topics with the new tail\'s consumer settings, kafkajs fixes and fetch pacing, dropping every record: the part of the new figure that is the Kafka client\'s (fetching, decompressing and parsing record batches into message objects).', ''] : []),
    `The new path costs ${ratio}× less per record in the same run (absolute times vary with what else the 2 cores run; the ratio holds). CPU per record is process.cpuUsage of the tail's process from the first record produced until every record is in its DuckDB table and visible to a query, divided by the records produced. Both tails hold the same rows: ${same ? 'yes' : 'NO'} (count and an order-free hash of every row as a query reads it); every record produced is there: ${complete ? 'yes' : 'NO'}.`,
    '',
  ].join('\n')
  fs.writeFileSync(path.join(dir, 'tail.md'), md)
  process.stdout.write(md)
  if (!same || !complete) process.exitCode = 1
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:tail failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
