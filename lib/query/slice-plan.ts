import type { BoundFilter, BoundPredicate } from '../iceberg/scan-filter'
import { decodeSingleValue } from '../iceberg/single-value'
import type { PrimitiveType } from '../iceberg/spec-types'
import type { ScanFile } from '../iceberg/table-scan'

/**
 * Which minutes of a time column a read is confined to, and which of its data files hold each
 * minute: the pure half of the engine's minute slices (docs/decisions.md, D93). No IO.
 */

/** µs in a minute: a slice's grain. */
export const sliceMinuteMicros = 60_000_000n

/** An inclusive range of µs; an absent end is unbounded. */
export interface TimeSpan {
  readonly lo?: bigint
  readonly hi?: bigint
}

/**
 * The spans of `fieldId` (a µs timestamp column) outside which no row can match `filter`: a
 * superset of the rows it keeps, never fewer. A predicate on another column, or one that does
 * not bound the column (isNull, notNull), confines nothing; `and` intersects, `or` unites.
 */
export function confinedSpans(filter: BoundFilter, fieldId: number): TimeSpan[] {
  if (filter.kind === 'and') return filter.children.reduce<TimeSpan[]>((acc, c) => intersectSpans(acc, confinedSpans(c, fieldId)), [{}])
  if (filter.kind === 'or') return filter.children.flatMap((c) => confinedSpans(c, fieldId))
  return predicateSpans(filter, fieldId)
}

function predicateSpans(p: BoundPredicate, fieldId: number): TimeSpan[] {
  const values = p.values.filter((v): v is bigint => typeof v === 'bigint')
  if (p.fieldId !== fieldId || values.length !== p.values.length) return [{}]
  const v = values[0]
  switch (p.op) {
    case 'eq':
      return [{ lo: v!, hi: v! }]
    case 'in':
      return values.map((x) => ({ lo: x, hi: x }))
    case 'lt':
      return [{ hi: v! - 1n }]
    case 'lte':
      return [{ hi: v! }]
    case 'gt':
      return [{ lo: v! + 1n }]
    case 'gte':
      return [{ lo: v! }]
    default:
      return [{}]
  }
}

function intersectSpans(a: readonly TimeSpan[], b: readonly TimeSpan[]): TimeSpan[] {
  const out: TimeSpan[] = []
  for (const x of a) {
    for (const y of b) {
      const lo = x.lo === undefined ? y.lo : y.lo === undefined ? x.lo : x.lo > y.lo ? x.lo : y.lo
      const hi = x.hi === undefined ? y.hi : y.hi === undefined ? x.hi : x.hi < y.hi ? x.hi : y.hi
      if (lo === undefined || hi === undefined || lo <= hi) out.push({ ...(lo !== undefined ? { lo } : {}), ...(hi !== undefined ? { hi } : {}) })
    }
  }
  return out
}

/** The start of the minute holding `us` (floored, also before 1970). */
export function minuteOf(us: bigint): bigint {
  const r = us % sliceMinuteMicros
  return us - (r < 0n ? r + sliceMinuteMicros : r)
}

/**
 * The minutes (their starts, ascending) the spans lie in; undefined when a span is unbounded or
 * they touch more than `max` minutes (a read that wide is not what slices are for).
 */
export function spanMinutes(spans: readonly TimeSpan[], max: number): bigint[] | undefined {
  const minutes = new Set<bigint>()
  for (const s of spans) {
    if (s.lo === undefined || s.hi === undefined) return undefined
    for (let m = minuteOf(s.lo); m <= s.hi; m += sliceMinuteMicros) {
      minutes.add(m)
      if (minutes.size > max) return undefined
    }
  }
  return [...minutes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** One minute of a read: the plan's files whose bounds reach into it, and whether a slice of them pays. */
export interface MinuteFiles {
  /** Start of the minute, µs. */
  readonly minute: bigint
  /** Indices into the plan's files. */
  readonly files: readonly number[]
  /** Rows of those files, and how many of them the minute is estimated to hold (times spread evenly between a file's bounds). */
  readonly rows: number
  readonly estimatedRows: number
}

/**
 * Per minute, the files that may hold rows of it by their column bounds of `fieldId` (a file
 * without bounds may hold any minute). A file whose bounds miss every minute holds no row of the
 * read. The estimate takes a file without bounds as all in the minute.
 */
export function minuteFiles(files: readonly ScanFile[], fieldId: number, type: PrimitiveType, minutes: readonly bigint[]): MinuteFiles[] {
  const bounds = files.map((f) => ({ lo: boundOf(type, f.dataFile.lowerBounds?.get(fieldId)), hi: boundOf(type, f.dataFile.upperBounds?.get(fieldId)), rows: Number(f.recordCount) }))
  return minutes.map((minute) => {
    const end = minute + sliceMinuteMicros - 1n
    const held: number[] = []
    let rows = 0
    let estimatedRows = 0
    bounds.forEach((b, i) => {
      if ((b.lo !== undefined && b.lo > end) || (b.hi !== undefined && b.hi < minute)) return
      held.push(i)
      rows += b.rows
      if (b.lo === undefined || b.hi === undefined) estimatedRows += b.rows
      else {
        const overlap = (b.hi < end ? b.hi : end) - (b.lo > minute ? b.lo : minute) + 1n
        estimatedRows += (b.rows * Number(overlap)) / Number(b.hi - b.lo + 1n)
      }
    })
    return { minute, files: held, rows, estimatedRows }
  })
}

function boundOf(type: PrimitiveType, bytes: Uint8Array | undefined): bigint | undefined {
  if (bytes === undefined) return undefined
  try {
    const v = decodeSingleValue(type, bytes)
    return typeof v === 'bigint' ? v : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether a slice of a minute's files pays: they hold at least `minRows` rows (a smaller read is
 * cheap already), and the minute is estimated at most a quarter of them (a slice saves decoding
 * the rest; the sink's files of the last minute or two hold little else).
 */
export function slicePays(m: MinuteFiles, minRows: number): boolean {
  return m.files.length > 0 && m.rows >= minRows && m.estimatedRows * 4 <= m.rows
}
