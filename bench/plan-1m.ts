/**
 * `npm run bench:plan-1m [-- --window S] [--s3-latency-ms 30]` (the commit's contention window, by default
 * bench:scale's measured one; and the latency of one S3 request, which a deployed window adds)
 *
 * The plan to one million messages per second (the seeds' next-phase target), on paper and by
 * simulation, from what this machine measured: the per-core figures of the last `npm run bench`
 * (docs/benchmarks.json), the per-instance figures of `npm run bench:scale`
 * (docs/bench/scale.json), the commit-contention simulation (lib/cost/commit-contention.ts) and
 * the cost model at that scale. Writes docs/plan-1m.md. Nothing here runs the stack.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { defaultLevers, estimateCost, figuresFromBenchmarks, loadConfig, parseUnitPrices, readBenchmarkResults, simulateCommitContention, type Scale } from '../lib/internal'
import { arg, declareArgs } from './bench-kit'
import type { ScaleResult } from './scale/scale-report'

declareArgs({ 's3-latency-ms': 'string', 'window': 'string' })

const target = { messagesPerSecond: 1_000_000, tradeShare: 0.1, symbols: 10_000 }
/** A sink commits each table at this interval (K2_SINK_MAX_AGE_MS), and on a busy stream at its record cap first. */
const commitIntervalSeconds = 30
/** Object-store round trips inside a commit's window: the metadata read, the manifest, the manifest list, the catalog's metadata file. */
const objectStoreTripsPerCommit = 4

const fmt = (v: number, digits = 0): string => v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** What the contention simulation says about one table at the plan's sinks, and what replaces it when it breaks. */
function catalogVerdict(o: { sinks: number; atPlan: { retriedShare: number }; breaking?: { n: number }; saturated?: { n: number }; deployedWindow: number; tables: number; perTable: number }): string {
  const replace = `What replaces it, in order: (1) **split the tables**: ${fmt(o.tables)} tables of at most ${fmt(o.perTable)} sinks each (per venue, or per symbol hash with the sinks' partitions aligned to them; the hybrid engine would need a view over them, not built yet); (2) lengthen the commit interval (fewer, larger commits; lake lag grows, the Kafka tail covers freshness); (3) one committer per table, as Kafka Connect's Iceberg sink does: sinks write files and hand them to a coordinator that commits once per interval (docs/scale-out.md).`
  const saturates = o.saturated ? `; from about ${o.saturated.n} the table saturates: it lands at most one commit per window (${fmt(1 / o.deployedWindow, 1)}/s) however many sinks ask, and commits queue without bound` : ''
  if (!o.breaking) return `Even ${fmt(o.sinks)} sinks leave fewer than 10 % of commits retried at this interval: the catalog is not the first limit at 1M/s.`
  if (o.breaking.n > o.sinks) {
    return `**One table holds the plan's ${fmt(o.sinks)} sinks**: ${fmt(o.atPlan.retriedShare * 100, 1)} % of commits retried with the deployed window. **The one table's optimistic commit is the limit that breaks next**: from about ${fmt(o.breaking.n)} sinks more than 10 % of commits are refused at least once (each retry rewrites manifests and adds a window of lake lag)${saturates}. ${replace}`
  }
  return `**The first limit that breaks is the one table's optimistic commit.** From about ${fmt(o.breaking.n)} sinks more than 10 % of commits are refused at least once (each retry rewrites manifests and adds a window of lake lag)${saturates}. The plan's ${fmt(o.sinks)} sinks on one table would be ${o.saturated && o.saturated.n <= o.sinks ? 'past saturation' : `deep in retries (${fmt(o.atPlan.retriedShare * 100, 1)} %)`}. ${replace}`
}

function main(): void {
  const config = loadConfig(process.env)
  const root = config.paths.root
  const results = readBenchmarkResults(root)
  const figures = figuresFromBenchmarks(results)
  const scaleFile = path.join(root, 'docs', 'bench', 'scale.json')
  const scale = fs.existsSync(scaleFile) ? (JSON.parse(fs.readFileSync(scaleFile, 'utf8')) as ScaleResult) : undefined
  // The contention window: --window if given, else the one bench:scale measured with the most
  // sinks, else 0.5 s (this machine's commit phases, read by hand before it was measured). Here
  // the catalog and the object store are on loopback; deployed, each of a commit's object-store
  // round trips inside the window (the table's metadata read, the manifest and the manifest
  // list written, the catalog's new metadata file) costs a real S3 request.
  const measuredWindow = [...(scale?.sinks ?? [])].reverse().find((s) => s.commitWindowSeconds !== undefined)
  const window = arg('window', '') !== '' ? Number(arg('window', '')) : (measuredWindow?.commitWindowSeconds ?? 0.5)
  const windowSource = arg('window', '') !== '' ? 'given with --window' : measuredWindow ? `measured by bench:scale: the mean per commit attempt with ${measuredWindow.instances} sink${measuredWindow.instances > 1 ? 's' : ''}, catalog and object store on loopback` : 'assumed from this machine\'s commit phases'
  const s3LatencyMs = Number(arg('s3-latency-ms', '30'))
  const deployedWindow = window + (objectStoreTripsPerCommit * s3LatencyMs) / 1000
  const prices = parseUnitPrices(JSON.parse(fs.readFileSync(path.join(root, 'data', 'unit-prices.json'), 'utf8')))

  const mps = target.messagesPerSecond
  const util = defaultLevers.cpuTargetUtilisation
  // Per instance (one process, one core busy at most: Node's hot path is one thread).
  const shardPerCore = scale?.shards[0] ? 1e6 / scale.shards[0].cpuMicrosPerMessage : figures.ingestMessagesPerSecondPerCore
  const sinkPerCore = scale?.sinks[0] ? 1e6 / scale.sinks[0].cpuMicrosPerRecord : figures.sinkMessagesPerSecondPerCore
  const shards = Math.ceil(mps / (shardPerCore * util))
  const sinks = Math.ceil(mps / (sinkPerCore * util))
  // Kafka: bytes in, replicated three times; partitions so that every sink owns at least two
  // of each topic and none carries more than ~5 MB/s.
  const ingressMBps = (mps * figures.kafkaBytesPerMessage) / 1e6
  const partitions = Math.max(2 * sinks, Math.ceil(ingressMBps / 5))
  // The catalog: every sink commits each of the two tables once per interval (or more often when
  // its share of a busy stream reaches the record cap first).
  const perSinkRecordsPerSecond = mps / sinks
  const commitsPerSinkPerTable = Math.max(1 / commitIntervalSeconds, (perSinkRecordsPerSecond * (1 - target.tradeShare)) / figures.maxRecordsPerCommit)
  const interval = 1 / commitsPerSinkPerTable
  const committers = [1, 2, 4, 8, 16, 32, 64, 128, sinks].filter((n, i, a) => a.indexOf(n) === i).sort((a, b) => a - b)
  const simulate = (w: number): Array<{ n: number } & ReturnType<typeof simulateCommitContention>> =>
    committers.map((n) => ({ n, ...simulateCommitContention({ committers: n, intervalSeconds: interval, windowSeconds: w, seconds: 20_000, seed: n }) }))
  const here = simulate(window)
  const contention = simulate(deployedWindow)
  // The verdict is the deployed window's: the longer one.
  const breaking = contention.find((c) => c.retriedShare > 0.1)
  // Saturated: the table no longer lands the commits its sinks ask for.
  const saturated = contention.find((c) => c.commitsPerSecond < 0.95 * (c.n / interval))
  const atPlan = contention.find((c) => c.n === sinks)!
  const perTable = Math.max(1, (breaking?.n ?? sinks * 2) / 2)
  const tables = Math.ceil(sinks / perTable)
  const scale1m: Scale = { name: '1M/s', symbols: target.symbols, tradesPerSecond: mps * target.tradeShare, quotesPerSecond: mps * (1 - target.tradeShare), querySymbolShare: 0.01, assumption: 'the seeds\' next phase: 1M messages/s, one trade to nine quotes, 10,000 symbols over several venues' }
  const cost = estimateCost(prices, figures, scale1m, defaultLevers)
  const putsPerSecond = cost.detail.requests.putsPerMonth / (30 * 86_400)

  const md = [
    '# A plan to 1M messages per second',
    '',
    `<!-- Generated by \`npm run bench:plan-1m${arg('window', '') !== '' ? ` -- --window ${window}` : ''}\` on ${new Date().toISOString().slice(0, 10)} from docs/benchmarks.json${scale ? ` and docs/bench/scale.json (${scale.date.slice(0, 10)})` : ''}. -->`,
    '',
    `The seeds' next phase: ${fmt(mps)} messages/s (one trade to nine quotes, ${fmt(target.symbols)} symbols over several venues). This machine cannot run it; the plan scales what it measured per core and per instance, and simulates what it cannot measure: many sinks committing to one table.`,
    '',
    '## Instances',
    '',
    '| role | measured here | per instance at ' + `${util * 100} %` + ' of a core | instances for 1M/s |',
    '|---|---|---:|---:|',
    `| ingest shard (one process, \`K2_INGEST_SHARD=i/n\`) | ${fmt(shardPerCore)} records/s per core ${scale?.shards[0] ? '(bench:scale, 1,500 symbols)' : '(bench:ingest)'} | ${fmt(shardPerCore * util)} | **${fmt(shards)}** |`,
    `| sink (one process, one consumer group) | ${fmt(sinkPerCore)} records/s per core ${scale?.sinks[0] ? '(bench:scale drain)' : '(bench:sink)'} | ${fmt(sinkPerCore * util)} | **${fmt(sinks)}** |`,
    '',
    `Kafka: ${fmt(figures.kafkaBytesPerMessage, 1)} bytes per message in the log (measured) make ${fmt(ingressMBps, 1)} MB/s in, ${fmt(ingressMBps * 3, 1)} MB/s written with three replicas. **${fmt(partitions)} partitions** per stream (at least two per sink, at most ~5 MB/s each), on ${fmt(cost.detail.kafka.brokers)} brokers as the cost model sizes them. A shard's symbols are a stable hash: adding shards means stopping all and starting n + k (D68); adding sinks is a rebalance (docs/scale-out.md).`,
    '',
    '## The catalog: many sinks, one table',
    '',
    `Each sink commits each table every ${fmt(interval, 1)} s (its share of the quotes reaches ${fmt(figures.maxRecordsPerCommit)} records ${interval < commitIntervalSeconds ? 'before' : 'no sooner than'} the ${commitIntervalSeconds} s interval). A commit reads the table, writes its manifests and asks the catalog; another commit landing in between is a 409, and the sink reloads and tries again. That window is ${fmt(window * 1000)} ms here (${windowSource}). Deployed, its ${objectStoreTripsPerCommit} object-store round trips each cost an S3 request (${fmt(s3LatencyMs)} ms assumed, \`--s3-latency-ms\`): ${fmt(deployedWindow * 1000)} ms. Simulated with both (seeded, ${fmt(20_000)} s each):`,
    '',
    `| sinks on one table | commits/s | 409s per commit, here / deployed | commits retried, here / deployed | most attempts, deployed | commits in flight, deployed |`,
    '|---:|---:|---:|---:|---:|---:|',
    ...contention.map((c, i) => `| ${c.n}${c.n === sinks ? ' (the plan)' : ''} | ${fmt(c.commitsPerSecond, 2)} | ${fmt(here[i]!.conflictsPerCommit, 3)} / ${fmt(c.conflictsPerCommit, 3)} | ${fmt(here[i]!.retriedShare * 100, 1)} % / ${fmt(c.retriedShare * 100, 1)} % | ${c.maxAttempts} | ${fmt(c.inFlight, 2)} |`),
    '',
    catalogVerdict({ sinks, atPlan, breaking, saturated, deployedWindow, tables, perTable }),
    '',
    '## Object store',
    '',
    `The cost model's request count at this scale: ${fmt(putsPerSecond, 1)} PUTs/s (data files, manifests, metadata, compaction), far under S3's 3,500 PUTs/s per prefix; reads by queries scale with the query mix, not the ingest.`,
    '',
    '## Cost',
    '',
    `The cost model (lib/cost, unit prices in data/unit-prices.json) at 1M/s with the default levers: **$${fmt(cost.total)} per month, $${fmt(cost.perMillion, 4)} per million messages**; compute ${fmt(cost.detail.vcpu.total, 1)} vCPU (${cost.detail.instances} × ${cost.detail.instance}), Kafka ${cost.detail.kafka.mode} with ${cost.detail.kafka.brokers} brokers. By component:`,
    '',
    '| component | $/month |',
    '|---|---:|',
    ...Object.entries(cost.monthly).map(([k, v]) => `| ${k} | ${fmt(v)} |`),
    '',
  ]
  fs.writeFileSync(path.join(root, 'docs', 'plan-1m.md'), `${md.join('\n')}\n`)
  process.stdout.write(`${md.join('\n')}\nwrote docs/plan-1m.md\n`)
}

main()
