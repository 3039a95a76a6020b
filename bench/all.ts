/**
 * `npm run bench [-- --report-only] [--ingest-seconds 60] [--sink-trades 3000000] [--live-seconds 120] [--query-trades 10000000]`
 *
 * The benchmark report: brings the stack up, runs the ingest, sink and query benchmarks one after
 * the other (each writes its JSON and markdown under docs/bench/), then writes
 * - docs/benchmarks.json: which result file each benchmark wrote (the cost model reads its
 *   figures through it), the machine, the versions and the headline figures;
 * - docs/benchmarks.md: the same as a report, with the command of each run;
 * - docs/cost-model.md: the cost model (lib/cost) on those figures.
 * `--report-only` skips the runs and writes the three files from the results already there
 * (the sources of the current docs/benchmarks.json, or the latest of each benchmark).
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { benchmarkIndexPath, costModelReport, figuresFromBenchmarks, loadConfig, parseUnitPrices, readBenchmarkIndex, readBenchmarkResults } from '../lib/index'
import { consoleReporter, runCli } from '../stack/lib/cli'
import { ensureCredentials } from '../stack/lib/credentials'
import { createStack } from '../stack/lib/manager'
import { allServices, groupNames } from '../stack/services/index'
import { arg, flag } from './bench-kit'
import { describeMachine } from './machine'

const largeTargetPerMillion = 0.05

interface Json {
  [key: string]: unknown
}

const at = (v: unknown, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Json)[k] : undefined), v)
const num = (v: unknown, key: string): number => {
  const x = at(v, key)
  return typeof x === 'number' ? x : NaN
}
const fmt = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a')

function packageVersion(root: string, name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** Runs one benchmark script as its own process, its output shown live. */
function runBench(root: string, script: string, args: string[]): void {
  process.stdout.write(`\n── npm run bench:${script} -- ${args.join(' ')}\n`)
  const started = Date.now()
  const run = spawnSync(process.execPath, [path.join(root, 'stack', 'bootstrap.cjs'), `bench/${script}.ts`, ...args], { cwd: root, stdio: 'inherit', env: process.env })
  if (run.status !== 0) throw new Error(`bench:${script} failed (exit ${run.status ?? run.signal}); its output is above`)
  process.stdout.write(`── bench:${script} took ${Math.round((Date.now() - started) / 1000)} s\n`)
}

runCli(async (initial, args) => {
  ensureCredentials(initial)
  const config = loadConfig(process.env)
  const root = config.paths.root
  const reportOnly = args.includes('--report-only') || flag('report-only')
  let sources: { ingest: string; sink: string; query: string }
  if (reportOnly) {
    sources = fs.existsSync(benchmarkIndexPath(root)) ? readBenchmarkIndex(root).sources : { ingest: 'docs/bench/ingest-trade-zstd-600s.json', sink: 'docs/bench/sink.json', query: 'docs/bench/query.json' }
  } else {
    const stack = createStack(config, allServices, consoleReporter)
    await stack.up(groupNames('infra'))
    const seconds = arg('ingest-seconds', '60')
    runBench(root, 'ingest', ['--seconds', seconds, '--streams', 'trade', '--compression', 'zstd'])
    runBench(root, 'sink', ['--trades', arg('sink-trades', '3000000'), '--live-seconds', arg('live-seconds', '120')])
    runBench(root, 'query', ['--trades', arg('query-trades', '10000000')])
    sources = { ingest: `docs/bench/ingest-trade-zstd-${seconds}s.json`, sink: 'docs/bench/sink.json', query: 'docs/bench/query.json' }
  }

  // The index first: the cost model reads the figures through it.
  const machine = describeMachine()
  const versions = {
    node: process.version,
    kafka: allServices.find((s) => s.name === 'kafka')?.version ?? 'unknown',
    kafkajs: packageVersion(root, 'kafkajs'),
    duckdb: packageVersion(root, '@duckdb/node-api'),
    avsc: packageVersion(root, 'avsc'),
    java: String(machine.java),
  }
  const indexFile = benchmarkIndexPath(root)
  const writeIndex = (extra: Json): void => fs.writeFileSync(indexFile, `${JSON.stringify({ generatedAt: new Date().toISOString(), command: `npm run bench${reportOnly ? ' -- --report-only' : ''}`, machine, versions, sources, ...extra }, null, 1)}\n`)
  writeIndex({})
  const results = readBenchmarkResults(root)
  const { ingest, sink, query } = results
  const prices = parseUnitPrices(JSON.parse(fs.readFileSync(path.join(root, 'data', 'unit-prices.json'), 'utf8')))
  const figures = figuresFromBenchmarks(results)
  const cost = costModelReport({ prices, figures, benchmarkFiles: results.files, largeTargetPerMillion })

  const queries = (at(query, 'queries') as Json[] | undefined) ?? []
  const headline = {
    ingest: { steadyTradesPerSecond: num(ingest, 'steadyTradesPerSecond'), kafkaBytesPerTrade: num(ingest, 'kafkaBytesPerTrade'), peakRssMiB: num(ingest, 'rssMiB.peak') },
    sink: {
      backlogTradesPerSecond: num(sink, 'backlog.tradesPerSecond'),
      liveCommittedTradesPerSecond: num(sink, 'live.committedTradesPerSecondSteady'),
      lakeBytesPerTrade: num(sink, 'backlog.bytesPerTrade.afterCompaction'),
      lakeLagSecondsP50: num(sink, 'live.lakeLagSeconds.p50'),
    },
    query: Object.fromEntries(queries.map((q) => [String(q.name), { p50Ms: num(q, 'ms.p50'), p95Ms: num(q, 'ms.p95'), p99Ms: num(q, 'ms.p99') }])),
    freshnessMs: { p50: num(query, 'freshnessMs.p50'), p99: num(query, 'freshnessMs.p99') },
    cost: Object.fromEntries(Object.entries(cost.estimates).map(([n, e]) => [n, { perMonth: +e.total.toFixed(2), perMillion: +e.perMillion.toFixed(5) }])),
  }
  writeIndex({ headline })

  const dateOf = (v: unknown): string => String(at(v, 'date') ?? '').slice(0, 10)
  const md = [
    '# Benchmarks',
    '',
    `<!-- Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}; the figures and commands are in docs/benchmarks.json and the files it names. -->`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}. Versions: Node ${versions.node}, Kafka ${versions.kafka} (local KRaft, one broker), kafkajs ${versions.kafkajs}, @duckdb/node-api ${versions.duckdb}, avsc ${versions.avsc}, ${versions.java}.`,
    'Every run shares the machine with the stack it runs against (Kafka, MinIO, the catalog), so figures vary by about ±10% between runs; the per-core rates the cost model uses are therefore upper bounds on CPU per message.',
    '',
    '| benchmark | command | date | detail |',
    '|---|---|---|---|',
    `| ingest | \`${String(at(ingest, 'command'))}\` | ${dateOf(ingest)} | [${path.basename(results.files[0]!, '.json')}.md](bench/${path.basename(results.files[0]!, '.json')}.md) |`,
    `| sink | \`${String(at(sink, 'command'))}\` | ${dateOf(sink)} | [sink.md](bench/sink.md) |`,
    `| query | \`${String(at(query, 'command'))}\` | ${dateOf(query)} | [query.md](bench/query.md) |`,
    '',
    '## Ingest: replay exchange → ingestor → Kafka (acks=all, transactions)',
    '',
    '| figure | value | target |',
    '|---|---:|---|',
    `| trades/s acknowledged, steady | ${fmt(headline.ingest.steadyTradesPerSecond)} | ≥ 60,000 |`,
    `| µs per record: parse / normalise / encode / produce | ${['parse', 'normalise', 'encode', 'produce'].map((k) => fmt(num(ingest, `microsPerRecord.${k}`), 2)).join(' / ')} | |`,
    `| bytes per trade in Kafka (zstd) | ${fmt(headline.ingest.kafkaBytesPerTrade, 1)} | |`,
    `| RSS after warm-up → end, peak (MiB) | ${fmt(num(ingest, 'rssMiB.afterWarmup'))} → ${fmt(num(ingest, 'rssMiB.end'))}, ${fmt(headline.ingest.peakRssMiB)} | flat |`,
    '',
    '## Sink: Kafka → Parquet → Iceberg commits, exactly once',
    '',
    '| figure | value |',
    '|---|---:|',
    `| backlog drain, trades/s into committed snapshots | ${fmt(headline.sink.backlogTradesPerSecond)} |`,
    `| live end to end (exchange → lake), trades/s committed, steady | ${fmt(headline.sink.liveCommittedTradesPerSecond)} |`,
    `| commit latency p50 / p99 (ms), backlog | ${fmt(num(sink, 'backlog.commitLatencyMs.p50'))} / ${fmt(num(sink, 'backlog.commitLatencyMs.p99'))} |`,
    `| lake lag p50 / max (s), live | ${fmt(num(sink, 'live.lakeLagSeconds.p50'), 1)} / ${fmt(num(sink, 'live.lakeLagSeconds.max'), 1)} |`,
    `| bytes per trade in the lake, as committed / compacted | ${fmt(num(sink, 'backlog.bytesPerTrade.asCommitted'), 2)} / ${fmt(num(sink, 'backlog.bytesPerTrade.afterCompaction'), 2)} |`,
    `| data files per hour per table (before compaction) | ${fmt(num(sink, 'live.filesPerHourBeforeCompaction'))} |`,
    '',
    `## Queries: hybrid engine over ${fmt(num(query, 'lake.trades'))} trades in the lake and a live Kafka tail`,
    '',
    '| query | runs | rows | files read | p50 ms | p95 ms | p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...queries.map((q) => `| ${String(q.title ?? q.name)} | ${fmt(num(q, 'runs'))} | ${fmt(num(q, 'rows'))} | ${fmt(num(q, 'filesRead'))} | ${fmt(num(q, 'ms.p50'), 1)} | ${fmt(num(q, 'ms.p95'), 1)} | ${fmt(num(q, 'ms.p99'), 1)} |`),
    '',
    `Freshness (a trade acknowledged by Kafka → visible to a hybrid query): p50 ${fmt(headline.freshnessMs.p50)} ms, p99 ${fmt(headline.freshnessMs.p99)} ms.`,
    '',
    '## Cost at three scales (from these figures)',
    '',
    '| scale | $ per month | $ per million messages |',
    '|---|---:|---:|',
    ...Object.entries(cost.estimates).map(([n, e]) => `| ${n} | ${fmt(e.total)} | ${e.perMillion >= 1 ? fmt(e.perMillion, 2) : e.perMillion.toPrecision(3)} |`),
    '',
    `Target for the large scale: ≤ $${largeTargetPerMillion} per million — ${cost.estimates.large.perMillion <= largeTargetPerMillion ? 'met' : 'missed'}. The model, its inputs and its sensitivity: [cost-model.md](cost-model.md).`,
    '',
  ].join('\n')
  fs.writeFileSync(path.join(root, 'docs', 'benchmarks.md'), md)
  fs.writeFileSync(path.join(root, 'docs', 'cost-model.md'), cost.markdown)
  process.stdout.write(`${md}\nwrote docs/benchmarks.md, docs/benchmarks.json, docs/cost-model.md\n`)
  return 0
})
