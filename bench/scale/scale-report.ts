/**
 * `npm run bench:scale`'s result: what one and two sinks, one and two ingest shards, and the
 * large scale (the whole Binance spot exchange's rate) did on this machine, the verdict on each
 * large-scale trial, the `scale` entry of docs/benchmarks.json and the markdown page. Pure.
 */

/** Sinks in one consumer group, draining a backlog and then keeping up with a live rate. */
export interface SinkRun {
  readonly instances: number
  /** Backlog drained: trades, seconds from the sinks' start to the last commit, and trades/s. */
  readonly backlogTrades: number
  readonly drainSeconds: number
  readonly tradesPerSecond: number
  /** CPU seconds of every sink process over the drain, per trade, µs. */
  readonly cpuMicrosPerRecord: number
  readonly commits: number
  /** Commits the catalog refused with 409 (another instance committed first), per commit. */
  readonly commitConflictRate: number
  /**
   * Mean seconds per commit attempt from loading the table to the catalog's answer: the window
   * in which another instance's commit makes this one a 409 (absent in runs before it was measured).
   */
  readonly commitWindowSeconds?: number
  /** The live phase: trades/s produced, and the largest lake lag of any sink, p99 over the samples. */
  readonly liveTradesPerSecond: number
  readonly lakeLagP99Seconds: number
  /**
   * With more than one sink, what a rebalance costs: seconds until the lake holds everything
   * produced up to a moment, as it runs and right after one sink is killed (SIGKILL).
   */
  readonly rebalance?: { readonly steadyCatchUpSeconds: number; readonly afterKillCatchUpSeconds: number }
}

/** Ingest shards over the same exchange (1,500 symbols), the exchange playing as fast as they read. */
export interface ShardRun {
  readonly instances: number
  readonly symbols: number
  /** Streams and WebSocket connections over all shards. */
  readonly streams: number
  readonly connections: number
  readonly seconds: number
  /** Records produced to Kafka (trades and quotes) per second, over all shards. */
  readonly messagesPerSecond: number
  readonly cpuMicrosPerMessage: number
  /** Share of one core the replay exchange used: when it nears 1, the exchange, not the shards, limits. */
  readonly exchangeCoreShare: number
}

/** One run of the whole topology (replay exchange, ingest shards, sinks) at a fraction of the large scale. */
export interface LargeTrial {
  readonly fraction: number
  /** The replay exchange's K2_REPLAY_RATE for that fraction. */
  readonly rate: number
  readonly seconds: number
  /** Events the exchange's schedule offered per second, and records per second that reached Kafka. */
  readonly offeredPerSecond: number
  readonly tradesPerSecond: number
  readonly quotesPerSecond: number
  /** How late the exchange's tape ran at the end (it waits for slow readers), ms. */
  readonly scheduleLagMs: number
  readonly shed: number
  readonly lakeLagP99Seconds: number
  /** Share of one core per process (replay-exchange, ingest-0, sink-1, kafka, …) over the run. */
  readonly coreShare: Readonly<Record<string, number>>
  readonly sustained: boolean
  readonly why: string
}

export interface LargeScale {
  readonly target: { readonly tradesPerSecond: number; readonly quotesPerSecond: number; readonly symbols: number }
  /** The runs before the last, in order: short trials, and long runs that did not hold. */
  readonly trials: readonly LargeTrial[]
  readonly run: LargeTrial | undefined
  readonly fractionSustained: number
  readonly bottleneck: string
}

export interface ScaleResult {
  readonly date: string
  readonly command: string
  readonly machine: Readonly<Record<string, string | number>>
  readonly cores: number
  readonly sinks: readonly SinkRun[]
  readonly shards: readonly ShardRun[]
  readonly large: LargeScale | undefined
}

/** What a trial must show to count as sustained. */
export interface SustainRule {
  /** Records reaching Kafka at least this share of what the schedule offered. */
  readonly minDeliveredShare: number
  /** The tape no later than this at the end (a reader that falls behind makes it grow without bound). */
  readonly maxScheduleLagMs: number
  /** Lake lag bounded: p99 at most this. */
  readonly maxLakeLagSeconds: number
}

export const defaultSustainRule: SustainRule = { minDeliveredShare: 0.95, maxScheduleLagMs: 5_000, maxLakeLagSeconds: 90 }

/** The verdict on a trial: sustained only if everything reached Kafka in time, nothing was shed and the lake kept up. */
export function judgeTrial(t: Omit<LargeTrial, 'sustained' | 'why'>, rule: SustainRule = defaultSustainRule): { sustained: boolean; why: string } {
  const delivered = t.offeredPerSecond > 0 ? (t.tradesPerSecond + t.quotesPerSecond) / t.offeredPerSecond : 0
  const problems: string[] = []
  if (delivered < rule.minDeliveredShare) problems.push(`${(delivered * 100).toFixed(0)} % of the offered events reached Kafka`)
  if (t.scheduleLagMs > rule.maxScheduleLagMs) problems.push(`the exchange's tape ran ${(t.scheduleLagMs / 1000).toFixed(1)} s late (readers behind)`)
  if (t.shed > 0) problems.push(`${t.shed} records shed`)
  if (t.lakeLagP99Seconds > rule.maxLakeLagSeconds) problems.push(`lake lag p99 ${t.lakeLagP99Seconds.toFixed(0)} s`)
  return problems.length === 0 ? { sustained: true, why: 'every event reached Kafka on schedule, nothing shed, lake lag bounded' } : { sustained: false, why: problems.join('; ') }
}

/**
 * The limit a run hit: the process using the most of one core when it is near a whole core
 * (Node workers are single-threaded on their hot path), else the machine when the processes
 * together use nearly all its cores; else none of them (the rate was simply met).
 */
export function bottleneckOf(coreShare: Readonly<Record<string, number>>, cores: number): string {
  const entries = Object.entries(coreShare).sort((a, b) => b[1] - a[1])
  const total = entries.reduce((a, [, v]) => a + v, 0)
  const top = entries[0]
  if (total >= 0.9 * cores) return `the machine's ${cores} cores (${total.toFixed(2)} cores busy; most: ${entries.slice(0, 3).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')})`
  if (top && top[1] >= 0.85) return `${top[0]} (${top[1].toFixed(2)} of a core: its event loop is saturated)`
  return `none reached (${total.toFixed(2)} of ${cores} cores busy)`
}

/** The `scale` entry of docs/benchmarks.json, in the fields issue 18 names. */
export function scaleEntry(r: ScaleResult): Record<string, unknown> {
  return {
    largeScaleFractionSustained: r.large?.fractionSustained ?? null,
    bottleneck: r.large?.bottleneck ?? null,
    sinks: r.sinks.map((s) => ({ instances: s.instances, tradesPerSecond: round(s.tradesPerSecond), cpuMicrosPerRecord: round(s.cpuMicrosPerRecord, 1), commitConflictRate: round(s.commitConflictRate, 3), lakeLagP99Seconds: round(s.lakeLagP99Seconds, 1) })),
    shards: r.shards.map((s) => ({ instances: s.instances, streams: s.streams, connections: s.connections, messagesPerSecond: round(s.messagesPerSecond) })),
  }
}

const round = (v: number, digits = 0): number => Math.round(v * 10 ** digits) / 10 ** digits
const fmt = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a')
const cores = (c: Readonly<Record<string, number>>): string =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([n, v]) => `${n} ${v.toFixed(2)}`)
    .join(', ')

/** docs/bench/scale.md. */
export function renderScale(r: ScaleResult): string {
  const lines = [
    '# Scale-out on one machine (`npm run bench:scale`)',
    '',
    `<!-- Generated by \`${r.command}\` on ${r.date.slice(0, 10)}. -->`,
    '',
    `Machine: ${Object.entries(r.machine).map(([k, v]) => `${k} ${v}`).join(', ')}. Every worker is its own process, as \`npm run pipelines\` runs it; the services are the local stack's.`,
    '',
    '## Sinks in one consumer group',
    '',
    'A backlog of trades on a 6-partition topic, drained by 1 and then 2 sink processes in one group (each commits the partitions it owns; a 409 reloads the table and rebases), then a live rate for the lake lag.',
    '',
    '| sinks | backlog trades | drain s | trades/s | CPU µs/trade | commits | 409 per commit | commit window ms | live trades/s | lake lag p99 s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.sinks.map((s) => `| ${s.instances} | ${fmt(s.backlogTrades)} | ${fmt(s.drainSeconds, 1)} | ${fmt(s.tradesPerSecond)} | ${fmt(s.cpuMicrosPerRecord, 1)} | ${s.commits} | ${fmt(s.commitConflictRate, 3)} | ${s.commitWindowSeconds === undefined ? '–' : fmt(s.commitWindowSeconds * 1000)} | ${fmt(s.liveTradesPerSecond)} | ${fmt(s.lakeLagP99Seconds, 1)} |`),
    '',
  ]
  lines.push('The commit window is the mean time per commit attempt from loading the table to the catalog\'s answer (the sinks\' `manifests`, `manifest_list` and `catalog` phases): another commit landing inside it makes this one a 409. `npm run bench:plan-1m` simulates contention with it.', '')
  if (r.sinks.length === 2) lines.push(`Two sinks drain at ${fmt(r.sinks[1]!.tradesPerSecond / r.sinks[0]!.tradesPerSecond, 2)}× the rate of one (the same run, the same backlog size).`, '')
  for (const s of r.sinks) {
    if (s.rebalance) lines.push(`A rebalance, with ${s.instances} sinks at ${fmt(s.liveTradesPerSecond)} trades/s: the lake held everything produced up to a moment ${fmt(s.rebalance.steadyCatchUpSeconds, 1)} s later as it ran, and ${fmt(s.rebalance.afterKillCatchUpSeconds, 1)} s later right after one sink was killed (the group's session timeout, then the survivors re-read its partitions from the table's offsets).`, '')
  }
  lines.push(
    '## Ingest shards',
    '',
    'The replay exchange lists 1,500 symbols (trades and bookTicker each: 3,000 streams) and plays as fast as its readers take; 1 and then 2 ingest processes (`K2_INGEST_SHARD=i/n`) read it.',
    '',
    '| shards | symbols | streams | connections | records/s to Kafka | CPU µs/record | exchange core share |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...r.shards.map((s) => `| ${s.instances} | ${fmt(s.symbols)} | ${fmt(s.streams)} | ${s.connections} | ${fmt(s.messagesPerSecond)} | ${fmt(s.cpuMicrosPerMessage, 1)} | ${fmt(s.exchangeCoreShare, 2)} |`),
    '',
  )
  if (r.shards.length === 2) lines.push(`Two shards carry ${fmt(r.shards[1]!.messagesPerSecond / r.shards[0]!.messagesPerSecond, 2)}× the records of one.`, '')
  const l = r.large
  lines.push('## The large scale', '')
  if (!l) {
    lines.push('Not run (`--skip-large`).', '')
    return lines.join('\n')
  }
  lines.push(
    `Target: the whole Binance spot exchange, ${fmt(l.target.tradesPerSecond)} trades/s and ${fmt(l.target.quotesPerSecond)} quotes/s over ${fmt(l.target.symbols)} symbols, through 2 ingest shards and 2 sinks. Short trials halve the fraction until one is sustained; a long run must then hold it (nothing shed, the tape on time, the lake lag bounded), or the halving goes on.`,
    '',
    `**Sustained: ${fmt(l.fractionSustained * 100, 1)} % of the large scale.** Bottleneck: ${l.bottleneck}.`,
    '',
    '| run | fraction | s | offered events/s | trades/s | quotes/s | tape late s | shed | lake lag p99 s | cores per process | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...[...l.trials, ...(l.run ? [l.run] : [])].map(
      (t) => [t.seconds >= 300 ? 'long run' : 'trial', t] as const,
    ).map(
      ([kind, t]) => `| ${kind} | ${fmt(t.fraction, 3)} | ${fmt(t.seconds)} | ${fmt(t.offeredPerSecond)} | ${fmt(t.tradesPerSecond)} | ${fmt(t.quotesPerSecond)} | ${fmt(t.scheduleLagMs / 1000, 1)} | ${fmt(t.shed)} | ${fmt(t.lakeLagP99Seconds, 1)} | ${cores(t.coreShare)} | ${t.sustained ? 'sustained' : `not: ${t.why}`} |`,
    ),
    '',
  )
  return lines.join('\n')
}
