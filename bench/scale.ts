/**
 * `npm run bench:scale [-- --backlog 600000] [--live-rate 2000] [--seconds 60] [--trial-seconds 60] [--large-minutes 10] [--fractions 1,0.5,…] [--skip-large | --only-large]`
 *
 * Scale-out on this machine, every worker its own process on the running local stack, with
 * topics and tables of its own:
 * - sinks: a backlog drained by 1, then 2 sinks in one consumer group (trades/s, CPU µs per
 *   trade, 409s per commit), then a live rate (lake lag p99);
 * - ingest shards: 1, then 2 shards reading a replay exchange of 1,500 symbols that plays as
 *   fast as they read (records/s, streams, connections, CPU µs per record);
 * - the large scale: 5k trades/s + 50k quotes/s over 1,500 symbols through 2 shards and 2 sinks.
 *   Short trials halve the fraction of that rate until one is sustained (every event reaches
 *   Kafka on schedule, nothing shed, the lake lag bounded), then a long run holds it; the
 *   bottleneck is named from CPU per process.
 * Writes docs/bench/scale.json and docs/bench/scale.md; `npm run bench -- --report-only` puts
 * its `scale` entry into docs/benchmarks.json.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import {
  createRecordSerde,
  createRestCatalogClient,
  createSchemaRegistryClient,
  createSyntheticMarket,
  currentSnapshot,
  ensureTopics,
  loadConfig,
  planConnections,
  requestJson,
  sleep,
  symbolsOfShard,
  type RecordSerde,
  type RestCatalogClient,
  type WorkbenchConfig,
} from '../lib/internal'
import { consoleReporter, runCli } from '../stack/lib/cli'
import { createStack } from '../stack/lib/manager'
import { allServices } from '../stack/services/index'
import { arg, declareArgs, flag, freePort, quantile } from './bench-kit'
import { describeMachine } from './machine'
import { coreShares, cpuSeconds, metricMax, metricSum, produceTrades, startBenchWorker, streamTrades, syntheticTrades, until, type BenchWorker } from './scale/scale-kit'
import { bottleneckOf, judgeTrial, renderScale, scaleEntry, type LargeScale, type LargeTrial, type ScaleResult, type ShardRun, type SinkRun } from './scale/scale-report'

declareArgs({ 'backlog': 'string', 'fractions': 'string', 'large-minutes': 'string', 'live-rate': 'string', 'seconds': 'string', 'trial-seconds': 'string', 'only-large': 'boolean', 'skip-large': 'boolean' })

/** The whole Binance spot exchange, as the cost model's large scale has it. */
const large = { tradesPerSecond: 5_000, quotesPerSecond: 50_000, symbols: 1_500 }
/** The synthetic market's taker share that gives about Binance's one trade to ten quotes. */
const takerShare = 0.06

interface Ctx {
  readonly config: WorkbenchConfig
  readonly root: string
  readonly run: string
  readonly kafka: Kafka
  readonly admin: Admin
  readonly serde: RecordSerde
  readonly catalog: RestCatalogClient
}

const topicsFor = (ctx: Ctx, tag: string): { trades: string; quotes: string; dead: string } => ({ trades: `k2-${ctx.run}-${tag}-trades`, quotes: `k2-${ctx.run}-${tag}-quotes`, dead: `k2-${ctx.run}-${tag}-dead` })
const workerEnv = (t: { trades: string; quotes: string; dead: string }): Record<string, string> => ({ K2_TOPIC_TRADES: t.trades, K2_TOPIC_QUOTES: t.quotes, K2_TOPIC_DEAD_LETTER: t.dead, K2_TOPIC_PARTITIONS: '6' })

async function cleanUp(ctx: Ctx, t: { trades: string; quotes: string; dead: string }, namespace?: string): Promise<void> {
  const all = [t.trades, t.quotes, t.dead, `${t.trades}.checkpoint`, `${t.trades}.deferred`, `${t.quotes}.deferred`]
  await ctx.admin.deleteTopics({ topics: all }).catch(() => undefined)
  if (!namespace) return
  for (const table of ['trades', 'quotes']) await ctx.catalog.dropTable([namespace], table, true).catch(() => undefined)
  await ctx.catalog.dropNamespace([namespace]).catch(() => undefined)
}

async function committed(ctx: Ctx, namespace: string, table: string): Promise<number> {
  if (!(await ctx.catalog.tableExists([namespace], table))) return 0
  return Number(currentSnapshot((await ctx.catalog.loadTable([namespace], table)).metadata)?.summary['total-records'] ?? 0)
}

async function startSinks(ctx: Ctx, count: number, env: Record<string, string>): Promise<BenchWorker[]> {
  const sinks: BenchWorker[] = []
  for (let i = 0; i < count; i++) {
    const port = await freePort()
    sinks.push(startBenchWorker(ctx.root, `sink-${i}`, 'iceberg-sink.ts', { ...env, K2_SINK_METRICS_PORT: String(port) }, port))
  }
  await until(async () => ((await Promise.all(sinks.map((s) => requestJson(s.metricsUrl!, { timeoutMs: 2000 }).then(() => true)))).every(Boolean) ? true : undefined), 120_000, () => `the sinks to serve /metrics: ${sinks.map((s) => s.output()).join('\n')}`)
  return sinks
}

/**
 * The commit's contention window, measured: mean seconds per commit attempt from loading the
 * table to the catalog's answer (the sinks' `manifests`, `manifest_list` and `catalog` phases,
 * which add up over a commit's attempts). Another commit landing inside it is a 409.
 */
async function commitWindow(sinks: readonly BenchWorker[]): Promise<number | undefined> {
  let seconds = 0
  for (const phase of ['manifests', 'manifest_list', 'catalog']) seconds += await metricSum(sinks, 'k2_sink_commit_phase_seconds_sum', { table: 'trades', phase })
  const attempts = (await metricSum(sinks, 'k2_sink_commit_latency_seconds_count', { table: 'trades' })) + (await metricSum(sinks, 'k2_sink_commit_conflicts_total', { table: 'trades' }))
  return attempts > 0 ? seconds / attempts : undefined
}

/** 1 or 2 sinks in one group: drain a backlog, then keep up with a live rate. */
async function sinkPhase(ctx: Ctx, instances: number, backlog: number, liveRate: number, seconds: number): Promise<SinkRun> {
  const t = topicsFor(ctx, `s${instances}`)
  const namespace = `k2_${ctx.run.replace(/-/g, '_')}_s${instances}`
  await ensureTopics(ctx.admin, [{ topic: t.trades, partitions: 6 }, { topic: t.quotes, partitions: 6 }, { topic: t.dead, partitions: 1 }])
  await ctx.serde.registerSchemas({ trades: t.trades, quotes: t.quotes })
  const symbols = Array.from({ length: 60 }, (_, i) => `SCALE${i}USDT`)
  const ids = new Map<string, number>()
  const producer = ctx.kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  for (let done = 0; done < backlog; done += 100_000) await produceTrades(producer, ctx.serde, t.trades, syntheticTrades(symbols, Math.min(100_000, backlog - done), ids, BigInt(Date.now()) * 1000n))
  await producer.disconnect()
  process.stdout.write(`sinks ×${instances}: ${backlog.toLocaleString('en')} trades preloaded; draining\n`)

  // Commits of a sixth of the backlog: with the default 1M records or 30 s, a backlog under 1M
  // would measure the 30 s commit age, not the sink.
  const sinks = await startSinks(ctx, instances, { ...workerEnv(t), K2_SINK_NAMESPACE: namespace, K2_SINK_GROUP: `k2-${ctx.run}-s${instances}`, K2_SINK_MAX_RECORDS: String(Math.ceil(backlog / 6)) })
  try {
    const roots = (): Record<string, number | undefined> => Object.fromEntries(sinks.map((s) => [s.name, s.child.pid]))
    const cpu0 = cpuSeconds(roots())
    const t0 = Date.now()
    await until(async () => ((await committed(ctx, namespace, 'trades')) >= backlog ? true : undefined), 30 * 60_000, () => `the backlog to be committed (${sinks.map((s) => s.output()).join('\n')})`)
    const drainSeconds = (Date.now() - t0) / 1000
    const cpu1 = cpuSeconds(roots())
    const cpu = Object.keys(cpu1).reduce((a, n) => a + cpu1[n]! - (cpu0[n] ?? 0), 0)
    const commits = await metricSum(sinks, 'k2_sink_commit_latency_seconds_count')
    const conflicts = await metricSum(sinks, 'k2_sink_commit_conflicts_total')
    process.stdout.write(`sinks ×${instances}: drained in ${drainSeconds.toFixed(1)} s (${Math.round(backlog / drainSeconds)} trades/s); live at ${liveRate}/s for ${seconds} s\n`)

    const live = streamTrades(ctx.kafka, ctx.serde, t.trades, symbols, liveRate, ids)
    const lags: number[] = []
    const liveStart = Date.now()
    while (Date.now() - liveStart < seconds * 1000) {
      await sleep(1000)
      if (Date.now() - liveStart > 10_000) lags.push(await metricMax(sinks, 'k2_sink_lag_seconds'))
    }
    // What a rebalance costs: the time until the lake holds everything produced up to a moment,
    // measured once as it is and once right after a sink is killed (SIGKILL): its partitions wait
    // for the group's session timeout, then the others re-read them from the table's offsets.
    const window = await commitWindow(sinks)
    let rebalance: SinkRun['rebalance']
    if (instances > 1) {
      const catchUp = async (what: string): Promise<number> => {
        const target = backlog + live.sent()
        const from = Date.now()
        await until(async () => ((await committed(ctx, namespace, 'trades')) >= target ? true : undefined), 300_000, () => `the lake to catch up ${what}`)
        return (Date.now() - from) / 1000
      }
      const steadySeconds = await catchUp('as it is')
      sinks.at(-1)!.child.kill('SIGKILL')
      rebalance = { steadyCatchUpSeconds: steadySeconds, afterKillCatchUpSeconds: await catchUp('after a sink was killed') }
      process.stdout.write(`sinks ×${instances}: the lake caught up in ${steadySeconds.toFixed(1)} s as it is, ${rebalance.afterKillCatchUpSeconds.toFixed(1)} s after a sink was killed\n`)
    }
    const sent = await live.stop()
    return {
      rebalance,
      instances,
      backlogTrades: backlog,
      drainSeconds,
      tradesPerSecond: backlog / drainSeconds,
      cpuMicrosPerRecord: (cpu / backlog) * 1e6,
      commits,
      commitConflictRate: commits > 0 ? conflicts / commits : 0,
      commitWindowSeconds: window,
      liveTradesPerSecond: sent / ((Date.now() - liveStart) / 1000),
      lakeLagP99Seconds: quantile(lags, 0.99),
    }
  } finally {
    await Promise.all(sinks.map((s) => s.stop()))
    await cleanUp(ctx, t, namespace)
  }
}

async function startReplay(ctx: Ctx, rate: string, seed: number): Promise<{ worker: BenchWorker; url: string }> {
  const port = await freePort()
  const worker = startBenchWorker(ctx.root, 'replay-exchange', 'replay-exchange.ts', {
    K2_REPLAY_PORT: String(port),
    K2_REPLAY_RATE: rate,
    K2_REPLAY_SEED: String(seed),
    K2_REPLAY_SYMBOLS: String(large.symbols),
    K2_REPLAY_TAKER_SHARE: String(takerShare),
    K2_REPLAY_HISTORY: '1000',
    K2_REPLAY_HISTORY_SECONDS: '30',
  })
  const url = `http://127.0.0.1:${port}`
  await until(async () => requestJson(`${url}/api/v3/exchangeInfo`, { timeoutMs: 2000 }).then(() => true), 60_000, () => `the replay exchange: ${worker.output()}`)
  return { worker, url }
}

async function startShards(ctx: Ctx, count: number, env: Record<string, string>): Promise<BenchWorker[]> {
  const shards: BenchWorker[] = []
  for (let i = 0; i < count; i++) {
    const port = await freePort()
    shards.push(startBenchWorker(ctx.root, `ingest-${i}`, 'ingest.ts', { ...env, K2_INGEST_SHARD: `${i}/${count}`, K2_INGEST_METRICS_PORT: String(port) }, port))
  }
  return shards
}

/** 1 or 2 ingest shards reading 1,500 symbols from an exchange that plays as fast as they read. */
async function shardPhase(ctx: Ctx, instances: number, seconds: number): Promise<ShardRun> {
  const t = topicsFor(ctx, `i${instances}`)
  const replay = await startReplay(ctx, 'max', 1000 + instances)
  const shards = await startShards(ctx, instances, { ...workerEnv(t), K2_REPLAY_PORT: new URL(replay.url).port, K2_DEGRADE: 'off' })
  try {
    const records = (): Promise<number> => metricSum(shards, 'k2_ingest_records_total')
    await until(async () => ((await records()) > 0 ? true : undefined), 120_000, () => `the shards to produce: ${shards.map((s) => s.output()).join('\n')}`)
    await sleep(10_000) // every connection open and the JIT warm
    const roots = (): Record<string, number | undefined> => ({ ...Object.fromEntries(shards.map((s) => [s.name, s.child.pid])), exchange: replay.worker.child.pid })
    const [n0, cpu0, t0] = [await records(), cpuSeconds(roots()), Date.now()]
    await sleep(seconds * 1000)
    const [n1, cpu1, elapsed] = [await records(), cpuSeconds(roots()), (Date.now() - t0) / 1000]
    const shares = coreShares(cpu0, cpu1, elapsed)
    const shardCpu = shards.reduce((a, s) => a + (cpu1[s.name]! - cpu0[s.name]!), 0)
    const symbols = createSyntheticMarket({ seed: 1, symbols: large.symbols }).instruments.map((i) => i.symbol)
    const connections = Array.from({ length: instances }, (_, i) => {
      const mine = symbolsOfShard(symbols, { index: i, count: instances })
      return planConnections(mine.flatMap((s) => [`${s.toLowerCase()}@trade`, `${s.toLowerCase()}@bookTicker`])).length
    }).reduce((a, b) => a + b, 0)
    process.stdout.write(`shards ×${instances}: ${Math.round((n1 - n0) / elapsed)} records/s, exchange ${shares.exchange} of a core\n`)
    return { instances, symbols: symbols.length, streams: symbols.length * 2, connections, seconds: elapsed, messagesPerSecond: (n1 - n0) / elapsed, cpuMicrosPerMessage: (shardCpu / (n1 - n0)) * 1e6, exchangeCoreShare: shares.exchange ?? 0 }
  } finally {
    await Promise.all(shards.map((s) => s.stop()))
    await replay.worker.stop()
    await cleanUp(ctx, t)
  }
}

/** Events per second of market time the synthetic market plays at rate 1, and its share of trades. */
function calibrate(): { eventsPerSecond: number; tradeShare: number } {
  const market = createSyntheticMarket({ seed: 7, symbols: large.symbols, takerShare })
  const first = market.next()!
  let trades = 0
  const n = 300_000
  for (let i = 0; i < n; i++) if (market.next()!.kind === 'trade') trades++
  return { eventsPerSecond: n / ((market.nowMicros() - first.timeMicros) / 1e6), tradeShare: trades / n }
}

/** The whole topology at `fraction` of the large scale for `seconds`. */
async function largeTrial(ctx: Ctx, fraction: number, rateAt1: number, seconds: number, kafkaPid: number | undefined): Promise<LargeTrial> {
  const tag = `l${Math.round(fraction * 1000)}-${Date.now() % 100_000}`
  const t = topicsFor(ctx, tag)
  const namespace = `k2_${ctx.run.replace(/-/g, '_')}_${tag.replace(/-/g, '_')}`
  const rate = rateAt1 * fraction
  const replay = await startReplay(ctx, rate.toFixed(3), 77)
  const env = { ...workerEnv(t), K2_REPLAY_PORT: new URL(replay.url).port, K2_SINK_NAMESPACE: namespace, K2_SINK_GROUP: `k2-${ctx.run}-${tag}` }
  const shards = await startShards(ctx, 2, env)
  const sinks = await startSinks(ctx, 2, env)
  try {
    const byStream = async (stream: string): Promise<number> => metricSum(shards, 'k2_ingest_records_total', { stream })
    await until(async () => ((await byStream('quotes')) > 0 ? true : undefined), 120_000, () => `the shards to produce: ${shards.map((s) => s.output()).join('\n')}`)
    await sleep(15_000)
    const roots = (): Record<string, number | undefined> => ({ ...Object.fromEntries([...shards, ...sinks].map((w) => [w.name, w.child.pid])), 'replay-exchange': replay.worker.child.pid, kafka: kafkaPid })
    const stats = (): Promise<{ events: number; scheduleLagMs: number }> => requestJson(`${replay.url}/k2/stats`, { timeoutMs: 5000 })
    const [tr0, q0, cpu0, t0] = [await byStream('trades'), await byStream('quotes'), cpuSeconds(roots()), Date.now()]
    const lags: number[] = []
    while (Date.now() - t0 < seconds * 1000) {
      await sleep(2000)
      lags.push(await metricMax(sinks, 'k2_sink_lag_seconds'))
    }
    const [tr1, q1, cpu1, elapsed, end] = [await byStream('trades'), await byStream('quotes'), cpuSeconds(roots()), (Date.now() - t0) / 1000, await stats()]
    const shed = await metricSum(shards, 'k2_degrade_shed_records_total')
    const measured = {
      fraction,
      rate,
      seconds: elapsed,
      offeredPerSecond: (large.tradesPerSecond + large.quotesPerSecond) * fraction,
      tradesPerSecond: (tr1 - tr0) / elapsed,
      quotesPerSecond: (q1 - q0) / elapsed,
      scheduleLagMs: end.scheduleLagMs,
      shed,
      lakeLagP99Seconds: quantile(lags, 0.99),
      coreShare: coreShares(cpu0, cpu1, elapsed),
    }
    const verdict = judgeTrial(measured)
    process.stdout.write(`large ×${fraction}: ${Math.round(measured.tradesPerSecond)} trades/s + ${Math.round(measured.quotesPerSecond)} quotes/s of ${Math.round(measured.offeredPerSecond)} offered; ${verdict.sustained ? 'sustained' : `not sustained: ${verdict.why}`}\n`)
    return { ...measured, ...verdict }
  } finally {
    await Promise.all([...shards, ...sinks].map((w) => w.stop()))
    await replay.worker.stop()
    await cleanUp(ctx, t, namespace)
  }
}

async function largePhase(ctx: Ctx, trialSeconds: number, minutes: number, cores: number, fractions: readonly number[], earlier: readonly LargeTrial[]): Promise<LargeScale> {
  const { eventsPerSecond } = calibrate()
  const rateAt1 = (large.tradesPerSecond + large.quotesPerSecond) / eventsPerSecond
  const [kafka] = await createStack(ctx.config, allServices, consoleReporter).status(['kafka'])
  const trials: LargeTrial[] = [...earlier]
  let run: LargeTrial | undefined
  // Halve the fraction until a short trial holds, then hold it for `minutes`; a long run that
  // does not hold (a burst of the market shed records) goes on halving with long runs.
  for (const fraction of fractions) {
    if (!run || !run.sustained) {
      const trial = await largeTrial(ctx, fraction, rateAt1, trialSeconds, kafka?.pid)
      trials.push(trial)
      if (!trial.sustained) continue
      if (minutes <= 0) {
        run = trial
        break
      }
      if (run) trials.push(run)
      run = await largeTrial(ctx, fraction, rateAt1, minutes * 60, kafka?.pid)
      if (run.sustained) break
    }
  }
  // The limit: what the first trial that was not sustained ran into (the highest rate tried).
  const limit = trials.find((t) => !t.sustained) ?? run ?? trials[0]!
  return { target: large, trials, run, fractionSustained: run?.sustained ? run.fraction : 0, bottleneck: bottleneckOf(limit.coreShare, cores) }
}

runCli(async (initial) => {
  const config = loadConfig(process.env)
  const root = initial.paths.root
  const kafka = new Kafka({ clientId: 'k2-bench-scale', brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const ctx: Ctx = { config, root, run: `bench-scale-${Date.now().toString(36)}`, kafka, admin, serde: createRecordSerde({ registry: createSchemaRegistryClient({ url: config.schemaRegistry.url }) }), catalog: createRestCatalogClient({ url: config.catalog.url }) }
  const backlog = Number(arg('backlog', '600000'))
  const liveRate = Number(arg('live-rate', '2000'))
  const seconds = Number(arg('seconds', '60'))
  const machine = describeMachine()
  const cores = Number(machine.cores)
  try {
    // --only-large keeps the sink and shard results of the last run (docs/bench/scale.json);
    // --skip-large keeps its large-scale runs.
    const scaleFile = path.join(root, 'docs', 'bench', 'scale.json')
    const last = fs.existsSync(scaleFile) ? (JSON.parse(fs.readFileSync(scaleFile, 'utf8')) as ScaleResult) : undefined
    const previous = flag('only-large') ? last : undefined
    const sinks = previous?.sinks ?? [await sinkPhase(ctx, 1, backlog, liveRate, seconds), await sinkPhase(ctx, 2, backlog, liveRate, seconds)]
    const shards = previous?.shards ?? [await shardPhase(ctx, 1, seconds), await shardPhase(ctx, 2, seconds)]
    const fractions = arg('fractions', '1,0.5,0.25,0.125,0.0625').split(',').map(Number)
    // --only-large goes on from the last run's large-scale runs (the fractions it did not try).
    const earlier = previous?.large ? [...previous.large.trials, ...(previous.large.run ? [previous.large.run] : [])] : []
    const largeScale = flag('skip-large') ? last?.large : await largePhase(ctx, Number(arg('trial-seconds', '60')), Number(arg('large-minutes', '10')), cores, fractions, earlier)
    const result: ScaleResult = { date: new Date().toISOString(), command: `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim(), machine, cores, sinks, shards, large: largeScale }
    const dir = path.join(root, 'docs', 'bench')
    fs.writeFileSync(path.join(dir, 'scale.json'), `${JSON.stringify({ ...result, entry: scaleEntry(result) }, null, 1)}\n`)
    fs.writeFileSync(path.join(dir, 'scale.md'), `${renderScale(result)}\n`)
    process.stdout.write(`\n${renderScale(result)}\nwrote docs/bench/scale.json and docs/bench/scale.md\n`)
  } finally {
    await admin.disconnect()
  }
})
