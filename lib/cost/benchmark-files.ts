/**
 * The files the cost model reads: the unit prices (`data/unit-prices.json`) and the benchmark
 * JSON, through one index: `docs/benchmarks.json` (written by `npm run bench`) names the ingest,
 * sink and query result files it measured. Notebooks, the cost document and tests read the
 * figures through it, so a new benchmark run moves them all. IO adapter: reads files under the
 * project root.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { peerSystems, queryBenchmarkSummary, type BenchmarkIndex, type PeerSystem, type QueryBenchmarkSummary } from './benchmark-summaries'
import type { BenchmarkResults } from './measured-figures'
import { parseUnitPrices, type UnitPrices } from './unit-prices'

export type { BenchmarkIndex } from './benchmark-summaries'

export function benchmarkIndexPath(root: string): string {
  return path.join(root, 'docs', 'benchmarks.json')
}

function readJson(file: string, what: string): unknown {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `cannot read ${what} ${file}: ${errorMessage(err)} (run \`npm run bench\` to measure it)`, false, { cause: err })
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `${what} ${file} is not JSON: ${errorMessage(err)}`)
  }
}

export function readBenchmarkIndex(root: string): BenchmarkIndex {
  const file = benchmarkIndexPath(root)
  const index = readJson(file, 'the benchmark index') as Partial<BenchmarkIndex> | null
  const sources = index?.sources
  for (const key of ['ingest', 'sink', 'query'] as const) {
    if (typeof sources?.[key] !== 'string') throw new WorkbenchError(ErrorCode.ConfigInvalid, `the benchmark index ${file} has no sources.${key} (the ${key} benchmark's JSON file)`)
  }
  return index as BenchmarkIndex
}

/** The parsed result files the index names: what figuresFromBenchmarks takes. */
export function readBenchmarkResults(root: string): BenchmarkResults & { readonly files: readonly string[] } {
  const index = readBenchmarkIndex(root)
  const { sources } = index
  const scale = typeof index.scaleSource === 'string' ? index.scaleSource : undefined
  return {
    ingest: readJson(path.join(root, sources.ingest), 'the ingest benchmark'),
    sink: readJson(path.join(root, sources.sink), 'the sink benchmark'),
    query: readJson(path.join(root, sources.query), 'the query benchmark'),
    ...(scale ? { scale: readJson(path.join(root, scale), 'the scale benchmark') } : {}),
    files: [sources.ingest, sources.sink, sources.query, ...(scale ? [scale] : [])],
  }
}

/**
 * What one machine sustains end to end (exchange → Kafka → lake, trades/s committed, steady) in
 * the last `npm run bench`: the figure the overload demo multiplies to overload the machine.
 */
export function sustainedTradesPerSecond(index: BenchmarkIndex): number {
  const headline = index.headline as { sink?: { liveCommittedTradesPerSecond?: unknown } } | undefined
  const value = headline?.sink?.liveCommittedTradesPerSecond
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, 'the benchmark index has no positive headline.sink.liveCommittedTradesPerSecond (run `npm run bench` to measure it)')
  }
  return value
}

/** data/unit-prices.json, checked. */
export function readUnitPrices(root: string): UnitPrices {
  return parseUnitPrices(readJson(path.join(root, 'data', 'unit-prices.json'), 'the unit prices'))
}

/** The query benchmark the index names (docs/bench/query.json), as far as the notebooks chart it. */
export function readQueryBenchmark(root: string): QueryBenchmarkSummary {
  return queryBenchmarkSummary(readBenchmarkResults(root).query)
}

/** The systems of the peers benchmark the index names; undefined until `npm run bench:peers` has written it. */
export function readPeerSystems(root: string, index: BenchmarkIndex): PeerSystem[] | undefined {
  const file = path.join(root, typeof index.peersSource === 'string' ? index.peersSource : path.join('docs', 'bench', 'peers.json'))
  return fs.existsSync(file) ? peerSystems(readJson(file, 'the peers benchmark')) : undefined
}
