/**
 * docs/bench/soak.json: what the soak sequence leaves for `npm run bench` — the knee and one
 * summary per run, with the files that hold the detail.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { SoakSummary } from './soak-summary'

export interface SoakIndex {
  readonly generatedAt: string
  readonly command: string
  readonly knee: { readonly rate: number | null; readonly recordsPerSecond: number | null; readonly bottleneck: string | null }
  readonly soak: readonly SoakSummary[]
  readonly files: readonly string[]
}

/** Where the sequence writes its index, in a results folder. */
export const soakIndexFile = (dir: string): string => path.join(dir, 'soak.json')

/** The index in `dir`, or undefined when no sequence has written one there. */
export function readSoakIndex(dir: string): SoakIndex | undefined {
  const file = soakIndexFile(dir)
  if (!fs.existsSync(file)) return undefined
  const index = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SoakIndex>
  return Array.isArray(index.soak) && index.knee ? (index as SoakIndex) : undefined
}

/**
 * The index with one run's summary put in: replacing the entry that came from the same file (a
 * run repeated under its label), else added. A single `--rate` or `--overload` run keeps the
 * sequence's index in step with the files it points to.
 */
export function withRun(index: SoakIndex, file: string, summary: SoakSummary, at: string): SoakIndex {
  const i = index.files.indexOf(file)
  // files[0] is the knee's; the runs' files follow in the order of `soak`.
  const k = i > 0 ? i - 1 : -1
  if (k >= 0 && k < index.soak.length) return { ...index, generatedAt: at, soak: index.soak.map((s, j) => (j === k ? summary : s)) }
  return { ...index, generatedAt: at, soak: [...index.soak, summary], files: [...index.files, file] }
}

/** The index with a new knee (a `--knee` run alone): the runs stay, their knee fractions as they were measured. */
export function withKnee(index: SoakIndex, knee: SoakIndex['knee'], at: string): SoakIndex {
  return { ...index, generatedAt: at, knee: { rate: knee.rate, recordsPerSecond: knee.recordsPerSecond, bottleneck: knee.bottleneck } }
}
