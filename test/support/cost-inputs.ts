import * as fs from 'node:fs'
import * as path from 'node:path'
import { projectRoot } from '../../lib/internal'
import { readBenchmarkResults } from '../../lib/internal'

/** Parsed JSON of a project file (docs/bench/*.json, data/unit-prices.json), read the way a report reads it. */
export function readProjectJson(relative: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, relative), 'utf8'))
}

/** The benchmark results the cost model is built from: the files docs/benchmarks.json names. */
export function benchmarkResults(): { ingest: unknown; sink: unknown; query: unknown; scale?: unknown } {
  const { ingest, sink, query, scale } = readBenchmarkResults(projectRoot)
  return { ingest, sink, query, ...(scale === undefined ? {} : { scale }) }
}

// A malformed-input table edits parsed JSON freely: its shape is what is under test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonEdit = (copy: any) => void

/** A deep copy of `value` with `edit` applied to it. */
export function edited(value: unknown, edit: JsonEdit): unknown {
  const copy = structuredClone(value)
  edit(copy)
  return copy
}

/** What `fn` throws; fails the test when it returns instead. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw, but the call returned')
}
