import { ErrorCode, WorkbenchError } from '../errors/index'
import { arrayAt, numberAt, objectAt, stringAt, valueAt, type JsonDocument } from './json-fields'

/** docs/benchmarks.json: which result file each benchmark wrote, and the run's summary. */
export interface BenchmarkIndex {
  readonly generatedAt: string
  /** Project-relative paths of the result files, e.g. `docs/bench/sink.json`. */
  readonly sources: { readonly ingest: string; readonly sink: string; readonly query: string }
  readonly [key: string]: unknown
}

/**
 * What the notebooks show of the committed benchmarks, typed: the query benchmark's latencies,
 * the single-machine ceiling, and the peers' comparison. Pure: parsed JSON in, checked fields
 * out; a malformed file is CONFIG_INVALID naming the key (json-fields.ts).
 */

/** p50/p95/p99 of one query type, ms. */
export interface LatencyQuantiles {
  readonly p50: number
  readonly p95: number
  readonly p99: number
}

/** docs/bench/query.json, as far as a chart needs it. */
export interface QueryBenchmarkSummary {
  /** ISO date of the run. */
  readonly date: string
  readonly cores: number
  /** Trades in the benchmark's lake. */
  readonly lakeTrades: number
  readonly queries: ReadonlyArray<{ readonly name: string; readonly ms: LatencyQuantiles }>
}

/** The query benchmark's date, machine, lake size and p50/p95/p99 per query, checked. */
export function queryBenchmarkSummary(value: unknown): QueryBenchmarkSummary {
  const doc: JsonDocument = { value, what: 'the query benchmark' }
  return {
    date: stringAt(doc, 'date'),
    cores: numberAt(doc, 'machine.cores', { positive: true }),
    lakeTrades: numberAt(doc, 'lake.trades'),
    queries: arrayAt(doc, 'queries').map((_, i) => ({
      name: stringAt(doc, `queries.${i}.name`),
      ms: { p50: numberAt(doc, `queries.${i}.ms.p50`), p95: numberAt(doc, `queries.${i}.ms.p95`), p99: numberAt(doc, `queries.${i}.ms.p99`) },
    })),
  }
}

/** What one machine sustained in the last `npm run bench`, stage by stage, and on what machine. */
export interface MachineCeiling {
  readonly generatedAt: string
  readonly machine: { readonly cpu: string; readonly cores: number; readonly memoryGiB: number }
  readonly ingestTradesPerSecond: number
  readonly sinkBacklogTradesPerSecond: number
  readonly liveCommittedTradesPerSecond: number
}

/** The ceiling from the index's headline and machine, checked. */
export function machineCeiling(index: BenchmarkIndex): MachineCeiling {
  const doc: JsonDocument = { value: index, what: 'the benchmark index (docs/benchmarks.json)' }
  return {
    generatedAt: stringAt(doc, 'generatedAt'),
    machine: { cpu: stringAt(doc, 'machine.cpu'), cores: numberAt(doc, 'machine.cores', { positive: true }), memoryGiB: numberAt(doc, 'machine.memoryGiB', { positive: true }) },
    ingestTradesPerSecond: numberAt(doc, 'headline.ingest.steadyTradesPerSecond'),
    sinkBacklogTradesPerSecond: numberAt(doc, 'headline.sink.backlogTradesPerSecond'),
    liveCommittedTradesPerSecond: numberAt(doc, 'headline.sink.liveCommittedTradesPerSecond'),
  }
}

/** The peers' comparison in the benchmark index: per query, p50 and p99 per system (null: the system could not answer it). */
export interface PeersLatency {
  /** Trades every system held. */
  readonly rows: number
  readonly systems: readonly string[]
  readonly queries: ReadonlyArray<{
    readonly name: string
    readonly p50Ms: Readonly<Record<string, number | null>>
    readonly p99Ms: Readonly<Record<string, number | null>>
  }>
}

/** The index's `peers` section; undefined until `npm run bench:peers` has run. */
export function peersLatency(index: BenchmarkIndex): PeersLatency | undefined {
  if (index.peers === undefined) return undefined
  const doc: JsonDocument = { value: index, what: 'the benchmark index (docs/benchmarks.json)' }
  const systems = arrayAt(doc, 'peers.systems').map((_, i) => stringAt(doc, `peers.systems.${i}`))
  const perSystem = (key: string): Record<string, number | null> => Object.fromEntries(systems.map((s) => [s, nullableNumberAt(doc, `${key}.${s}`)]))
  return {
    rows: numberAt(doc, 'peers.rows'),
    systems,
    queries: arrayAt(doc, 'peers.queries').map((_, i) => ({ name: stringAt(doc, `peers.queries.${i}.name`), p50Ms: perSystem(`peers.queries.${i}.p50Ms`), p99Ms: perSystem(`peers.queries.${i}.p99Ms`) })),
  }
}

/** One system of docs/bench/peers.json: what loading and holding the trades cost it (null: not measured for it). */
export interface PeerSystem {
  readonly system: string
  readonly version: string
  readonly loadSeconds: number | null
  readonly bytesPerTrade: number | null
  readonly peakRssMiB: number | null
  readonly exactDecimals: boolean
}

/** The systems of the peers benchmark, checked. */
export function peerSystems(value: unknown): PeerSystem[] {
  const doc: JsonDocument = { value, what: 'the peers benchmark (docs/bench/peers.json)' }
  return arrayAt(doc, 'systems').map((_, i) => {
    const exact = objectAt(doc, `systems.${i}`).exactDecimals
    if (typeof exact !== 'boolean') throw new WorkbenchError(ErrorCode.ConfigInvalid, `the peers benchmark (docs/bench/peers.json): systems[${i}].exactDecimals must be true or false, got ${JSON.stringify(exact)}`)
    return {
      system: stringAt(doc, `systems.${i}.system`),
      version: stringAt(doc, `systems.${i}.version`),
      loadSeconds: nullableNumberAt(doc, `systems.${i}.loadSeconds`),
      bytesPerTrade: nullableNumberAt(doc, `systems.${i}.bytesPerTrade`),
      peakRssMiB: nullableNumberAt(doc, `systems.${i}.peakRssMiB`),
      exactDecimals: exact,
    }
  })
}

/** A number, or null where the file says null (a figure that does not apply). */
function nullableNumberAt(doc: JsonDocument, key: string): number | null {
  return valueAt(doc.value, key) === null ? null : numberAt(doc, key)
}
