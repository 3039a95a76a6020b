/**
 * `npm run bench [-- --report-only] [--ingest-seconds 60] [--sink-trades 3000000] [--live-seconds 120] [--query-trades 10000000] [--soak-minutes 10]`
 *
 * The benchmark report: brings the stack up, runs the ingest, sink and query benchmarks one after
 * the other (each writes its JSON and markdown under docs/bench/), then the whole-stack soak
 * sequence (`bench:soak`: the knee, rate 1, half the knee, an overload at 4× the knee, on a second
 * stack beside this one; it writes docs/bench/soak.json), then writes
 * - docs/benchmarks.json: which result file each benchmark wrote (the cost model reads its
 *   figures through it), the machine, the versions and the headline figures, and from the soak
 *   a `soak` array (one summary per run) and the `knee`;
 * - docs/benchmarks.md: the same as a report, with the command of each run;
 * - docs/cost-model.md: the cost model (lib/cost) on those figures.
 * `--report-only` skips the runs and writes the three files from the results already there
 * (the sources of the current docs/benchmarks.json, or the latest of each benchmark).
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { benchmarkIndexPath, costModelReport, figuresFromBenchmarks, largeScaleTargetPerMillion, loadConfig, parseUnitPrices, readBenchmarkIndex, readBenchmarkResults } from '../lib/internal'
import { consoleReporter, runCli } from '../stack/lib/cli'
import { ensureCredentials } from '../stack/lib/credentials'
import { createStack } from '../stack/lib/manager'
import { allServices, groupNames } from '../stack/services/index'
import { arg, declareArgs, flag } from './bench-kit'
import { describeMachine } from './machine'
import { readSoakIndex, type SoakIndex } from './soak/soak-index'
import type { SoakSummary } from './soak/soak-summary'

declareArgs({ 'ingest-seconds': 'string', 'live-seconds': 'string', 'query-trades': 'string', 'sink-trades': 'string', 'soak-minutes': 'string', 'report-only': 'boolean' })

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

const level = (l: { ingest: string | null; sink: string | null }): string => `${l.ingest ?? 'n/a'} / ${l.sink ?? 'n/a'}`
const share = (v: number | null): string => (v === null ? 'n/a' : `${fmt(v * 100, 1)} %`)
const orNa = (v: number | null | boolean, digits = 0): string => (v === null ? 'n/a' : typeof v === 'boolean' ? (v ? 'yes' : '**no**') : fmt(v, digits))

/** What the soak section reads of a run's own file. */
interface SoakRunFile {
  readonly summary?: SoakSummary
  readonly detail?: { readonly input?: { readonly stressRegime?: boolean; readonly peakRecordsPerSecond: number | null; readonly kneeRecordsPerSecond: number | null; readonly secondsAboveKnee: number | null } }
}

function readRunFile(file: string): SoakRunFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SoakRunFile
  } catch {
    return undefined
  }
}

/** "43,827 records/s over 30 s, 1.79× the knee's, for 124 s of the window", or undefined when the input stayed below the knee. */
function aboveKnee(input: NonNullable<SoakRunFile['detail']>['input']): string | undefined {
  if (!input?.secondsAboveKnee || !input.peakRecordsPerSecond || !input.kneeRecordsPerSecond) return undefined
  return `${fmt(input.peakRecordsPerSecond)} records/s over 30 s, ${fmt(input.peakRecordsPerSecond / input.kneeRecordsPerSecond, 2)}× the knee's, for ${fmt(input.secondsAboveKnee)} s of the window`
}

/**
 * The runs whose input rose above the knee's rate, from the runs' own files: those of the record
 * (a run at a fraction of the knee can hold real overload), and the runs kept beside it in
 * docs/bench (soak-*.json that soak.json does not name, such as a run with the market's stress
 * regime on: D78).
 */
function stressLines(root: string, soak: SoakIndex): string[] {
  const page = (file: string): string => path.relative(path.join(root, 'docs'), file.replace(/\.json$/, '.md'))
  const recorded = soak.soak.flatMap((r, i) => {
    const file = soak.files[i + 1]
    const above = file && !r.overload ? aboveKnee(readRunFile(path.join(root, file))?.detail?.input) : undefined
    return above ? [`- rate ${fmt(r.rate, 1)}: the input reached ${above} ([its page](${page(file!)})).`] : []
  })
  const dir = path.join(root, 'docs', 'bench')
  const named = new Set(soak.files.map((f) => path.resolve(root, f)))
  const beside = fs
    .readdirSync(dir)
    .filter((f) => /^soak-.+\.json$/.test(f) && f !== 'soak-knee.json' && !named.has(path.join(dir, f)))
    .sort()
    .flatMap((f) => {
      const run = readRunFile(path.join(dir, f))
      const r = run?.summary
      if (!r) return []
      const market = run.detail?.input?.stressRegime === false ? 'a calm market' : "the market's stress regime on"
      const above = aboveKnee(run.detail?.input)
      return [`- rate ${fmt(r.rate, 1)}, ${market} ([its page](${page(path.join('docs', 'bench', f))})): ${above ? `the input reached ${above}; ` : ''}max level ${level(r.maxLevel)}, shed ${orNa(r.shedRecords)}, ingest at NORMAL ${share(r.ingestNormalShare)}, lake lag p99 ${orNa(r.lakeLagP99Seconds, 1)} s, commit p50 / p99 ${orNa(r.commitLatencyP50Ms)} / ${orNa(r.commitLatencyP99Ms)} ms.`]
    })
  return [
    ...(recorded.length > 0 ? ['Input above the knee inside a run of the record (real overload, met by degradation, not by the nominal-load targets):', '', ...recorded, ''] : []),
    ...(beside.length > 0 ? ['Runs kept beside the record (not in soak.json; D78: the record\'s runs play a calm market, so a rate is the load it names):', '', ...beside, ''] : []),
  ]
}

/** The soak section of docs/benchmarks.md: the knee, then one row per run. */
function soakSection(root: string, soak: SoakIndex | undefined): string[] {
  if (!soak) return ['## Whole stack under load (soak)', '', 'No soak sequence has run yet: `npm run bench:soak` writes docs/bench/soak.json.', '']
  const runName = (r: SoakSummary): string => (r.overload ? `overload at rate ${fmt(r.rate, 1)}` : `rate ${fmt(r.rate, 1)}`)
  return [
    '## Whole stack under load (soak)',
    '',
    `Every service, every worker as its own process, the API under a steady query mix and the story's queries in a notebook kernel ([soak-knee.md](bench/soak-knee.md) and the runs' pages in docs/bench/). Command: \`${soak.command}\`, ${soak.generatedAt.slice(0, 10)}.`,
    '',
    `Knee: rate ${orNa(soak.knee.rate, 1)} (${orNa(soak.knee.recordsPerSecond)} records/s); bottleneck: ${soak.knee.bottleneck ?? 'n/a'} (target: at least rate 10, about 26k records/s).`,
    '',
    '| run | of knee | minutes | max level ingest / sink | shed | feed pauses | ingest at NORMAL | lake lag p99 s | commit every s | commit p50 / p99 ms | tail µs/record | idle API core | tier 1 shed | backfilled all | end level |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|',
    ...soak.soak.map((r) => `| ${runName(r)} | ${orNa(r.kneeFraction, 2)} | ${r.minutes} | ${level(r.maxLevel)} | ${orNa(r.shedRecords)} | ${orNa(r.feedPauses)} | ${share(r.ingestNormalShare)} | ${orNa(r.lakeLagP99Seconds, 1)} | ${orNa(r.commitIntervalSeconds, 1)} | ${orNa(r.commitLatencyP50Ms)} / ${orNa(r.commitLatencyP99Ms)} | ${orNa(r.tailMicrosPerRecord, 1)} | ${share(r.apiIdleCoreShare)} | ${orNa(r.tier1Shed)} | ${orNa(r.backfilledAll)} | ${level(r.endLevel)} |`),
    '',
    ...stressLines(root, soak),
    'Targets (issue 16): at rate 1 and half the knee, no level above SOFT, nothing shed, no feed pause, the ingest at NORMAL ≥ 95 % of the time, lake lag p99 ≤ commit interval + 10 s, commit p50 ≤ 2 s and p99 ≤ 5 s at half the knee, tail ≤ 10 µs per record and the idle API ≤ 3 % of a core at rate 1; in the overload, tier 3 shed within 30 s, tier 1 never, everything backfilled and every level back at NORMAL.',
    '',
  ]
}

/** What bench:peers writes (docs/bench/peers.json). */
interface PeersFile {
  readonly command: string
  readonly date: string
  readonly entry: { rows: number; systems: string[]; queries: Array<{ name: string; p50Ms: Record<string, number | null>; p99Ms: Record<string, number | null> }> }
  readonly why: Record<string, Record<string, string>>
}

/**
 * The peers section of docs/benchmarks.md: p99 per system, and ours as a ratio of each peer's
 * (below 1: we are faster), with the count of query types where we are ahead.
 */
function peersSection(peers: PeersFile | undefined): string[] {
  if (!peers) return ['## Beside the peers', '', 'Not run yet: `npm run bench:peers` writes docs/bench/peers.json.', '']
  const { systems, queries, rows } = peers.entry
  const others = systems.filter((s) => s !== 'k2' && s !== 'floor')
  const ratio = (q: PeersFile['entry']['queries'][number], s: string): number | null => (q.p99Ms.k2 && q.p99Ms[s] ? q.p99Ms.k2 / q.p99Ms[s]! : null)
  const ahead = (s: string): number => queries.filter((q) => (ratio(q, s) ?? Infinity) < 1).length
  const aheadP50 = (s: string): number => queries.filter((q) => q.p50Ms.k2 && q.p50Ms[s] && q.p50Ms.k2 < q.p50Ms[s]!).length
  const worstP50 = (s: string): number => Math.max(...queries.map((q) => (q.p50Ms.k2 && q.p50Ms[s] ? q.p50Ms.k2 / q.p50Ms[s]! : 0)))
  const worst = (s: string): number => Math.max(...queries.map((q) => ratio(q, s) ?? 0))
  return [
    '## Beside the peers',
    '',
    `The same ${rows.toLocaleString('en')} trades in each system, each question in its own idiom, every answer checked against ours first ([peers.md](bench/peers.md): load time, bytes per trade, memory, and why a system has no figure). Command: \`${peers.command}\`, ${peers.date.slice(0, 10)}. p99 in ms; a ratio is our p99 over the peer's (below 1: we are faster).`,
    '',
    `| query | ${systems.join(' | ')} | ${others.map((s) => `k2 ÷ ${s}`).join(' | ')} |`,
    `|---|${systems.map(() => '---').join('|')}|${others.map(() => '---').join('|')}|`,
    ...queries.map((q) => `| ${q.name} | ${systems.map((s) => orNa(q.p99Ms[s] ?? null, 1)).join(' | ')} | ${others.map((s) => orNa(ratio(q, s), 2)).join(' | ')} |`),
    '',
    `By p99, ahead (ratio below 1) on: ${others.map((s) => `${ahead(s)} of ${queries.length} against ${s}`).join(', ')}; furthest behind: ${others.map((s) => `×${orNa(worst(s), 2)} against ${s}`).join(', ')}. By p50 (steadier than a p99), ahead on: ${others.map((s) => `${aheadP50(s)} of ${queries.length} against ${s}`).join(', ')}; furthest behind: ${others.map((s) => `×${orNa(worstP50(s), 2)} against ${s}`).join(', ')}. Where we are behind, [peers.md](bench/peers.md) says why.`,
    '',
  ]
}

/** The scale-out section of docs/benchmarks.md, from bench:scale's entry. */
function scaleSection(scale: { command: string; date: string; entry: Json } | undefined): string[] {
  if (!scale) return ['## Scale-out (write side)', '', 'Not run yet: `npm run bench:scale` writes docs/bench/scale.json.', '']
  const e = scale.entry
  const rows = (key: string): Json[] => (at(e, key) as Json[] | undefined) ?? []
  return [
    '## Scale-out (write side)',
    '',
    `Every worker its own process ([scale.md](bench/scale.md)). Command: \`${scale.command}\`, ${scale.date.slice(0, 10)}.`,
    '',
    '| sinks | trades/s | CPU µs/record | 409 per commit | lake lag p99 s |',
    '|---:|---:|---:|---:|---:|',
    ...rows('sinks').map((r) => `| ${num(r, 'instances')} | ${fmt(num(r, 'tradesPerSecond'))} | ${fmt(num(r, 'cpuMicrosPerRecord'), 1)} | ${fmt(num(r, 'commitConflictRate'), 3)} | ${fmt(num(r, 'lakeLagP99Seconds'), 1)} |`),
    '',
    '| ingest shards | streams | connections | records/s |',
    '|---:|---:|---:|---:|',
    ...rows('shards').map((r) => `| ${num(r, 'instances')} | ${fmt(num(r, 'streams'))} | ${fmt(num(r, 'connections'))} | ${fmt(num(r, 'messagesPerSecond'))} |`),
    '',
    `The large scale (5k trades/s + 50k quotes/s over 1,500 symbols, 2 shards and 2 sinks): ${share(at(e, 'largeScaleFractionSustained') as number | null)} sustained for 10 minutes; bottleneck: ${String(at(e, 'bottleneck') ?? 'n/a')}.`,
    '',
  ]
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
    runBench(root, 'soak', ['--minutes', arg('soak-minutes', '10')])
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
  // bench:scale's entry (issue 18), as it wrote it: in the index from the start, because the cost
  // model reads its per-process CPU figures through it.
  const scaleFile = path.join(root, 'docs', 'bench', 'scale.json')
  const scale = fs.existsSync(scaleFile) ? (JSON.parse(fs.readFileSync(scaleFile, 'utf8')) as { command: string; date: string; entry: Json }) : undefined
  const scaleFields = scale ? { scaleSource: 'docs/bench/scale.json', scale: scale.entry } : {}
  writeIndex(scaleFields)
  const results = readBenchmarkResults(root)
  const { ingest, sink, query } = results
  const prices = parseUnitPrices(JSON.parse(fs.readFileSync(path.join(root, 'data', 'unit-prices.json'), 'utf8')))
  const figures = figuresFromBenchmarks(results)
  const cost = costModelReport({ prices, figures, benchmarkFiles: results.files, largeTargetPerMillion: largeScaleTargetPerMillion })

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
  const soak = readSoakIndex(path.join(root, 'docs', 'bench'))
  // bench:peers's entry (issue 19), as it wrote it.
  const peersFile = path.join(root, 'docs', 'bench', 'peers.json')
  const peers = fs.existsSync(peersFile) ? (JSON.parse(fs.readFileSync(peersFile, 'utf8')) as PeersFile) : undefined
  writeIndex({ headline, ...scaleFields, ...(soak ? { soakSource: 'docs/bench/soak.json', soak: soak.soak, knee: soak.knee } : {}), ...(peers ? { peersSource: 'docs/bench/peers.json', peers: peers.entry } : {}) })

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
    `Target for the large scale: ≤ $${largeScaleTargetPerMillion} per million — ${cost.estimates.large.perMillion <= largeScaleTargetPerMillion ? 'met' : 'missed'}. The model, its inputs and its sensitivity: [cost-model.md](cost-model.md).`,
    '',
    ...soakSection(root, soak),
    ...scaleSection(scale),
    ...peersSection(peers),
  ].join('\n')
  fs.writeFileSync(path.join(root, 'docs', 'benchmarks.md'), md)
  fs.writeFileSync(path.join(root, 'docs', 'cost-model.md'), cost.markdown)
  process.stdout.write(`${md}\nwrote docs/benchmarks.md, docs/benchmarks.json, docs/cost-model.md\n`)
  return 0
})
