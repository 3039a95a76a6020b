/**
 * The latest row per key, kept in memory (docs/decisions.md, D91): the latest trade per symbol
 * answered without planning a query. Two parts make the index, both kept the way the rollup
 * `trades_latest` is (D74):
 *
 * - the lake part: per symbol, the row with the highest trade id among the rollup's partial rows
 *   at one snapshot, and the latest event time among them (read once per snapshot);
 * - the tail part (`LatestKeeper`): the same over every record the Kafka tail took, noted as the
 *   tail decodes it, from an offset per partition (`since`) up to where the tail stands.
 *
 * A maximum over a set that holds every wanted row and only rows of the table is the maximum of
 * the wanted rows: records below the lake part's offsets are in its snapshot already, so a tail
 * part noted from at most those offsets, up to the query's high-water marks, completes it.
 *
 * The answer for a time range is exact without assuming that times rise with ids: a key's row
 * with the highest id overall is its answer when its time is in the range; no row of the key is
 * in the range when its latest time is before it; otherwise (a later row out of the range) the
 * index cannot tell, and the caller runs the SQL. Pure: no IO.
 */
import { ErrorCode, WorkbenchError } from '../errors/index'

/** Which columns make the index: the key (symbol), the order (trade id) and the time (µs). */
export interface LatestSpec {
  readonly key: string
  readonly order: string
  readonly time: string
  /** The columns each indexed row keeps, in order (the rollup table's fields). */
  readonly fields: readonly string[]
}

/** One key's row with the highest order, the latest time of any of its rows, and the row's values. */
export interface LatestEntry {
  readonly key: string
  readonly order: bigint
  /** The time of the row with the highest order, µs. */
  readonly timeUs: bigint
  /** The latest time of any row of the key, µs. */
  readonly maxTimeUs: bigint
  /** The row's values in `fields` order, as the caller hands them over. */
  readonly values: readonly unknown[]
}

/** A time range, µs: [fromUs, toUs). */
export interface MicrosRange {
  readonly fromUs: bigint
  readonly toUs: bigint
}

/**
 * Per key, the row with the highest order across `parts`, for the keys with a row in `range`,
 * ordered by key; undefined when a key's answer cannot be told from the index (a row out of the
 * range is later than its other rows). `keys` limits the answer to those keys.
 */
export function answerLatest(parts: ReadonlyArray<Iterable<LatestEntry>>, range: MicrosRange, keys?: ReadonlySet<string>): LatestEntry[] | undefined {
  const merged = new Map<string, { best: LatestEntry; maxTimeUs: bigint }>()
  for (const part of parts) {
    for (const e of part) {
      if (keys && !keys.has(e.key)) continue
      const m = merged.get(e.key)
      if (!m) merged.set(e.key, { best: e, maxTimeUs: e.maxTimeUs })
      else {
        if (e.order > m.best.order) m.best = e
        if (e.maxTimeUs > m.maxTimeUs) m.maxTimeUs = e.maxTimeUs
      }
    }
  }
  const out: LatestEntry[] = []
  for (const { best, maxTimeUs } of merged.values()) {
    if (best.timeUs >= range.fromUs && best.timeUs < range.toUs) out.push(best)
    else if (maxTimeUs >= range.fromUs) return undefined
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/** A value the tail stores for an integer column (a number where safe, else a bigint). */
type Exact = number | bigint

interface KeptRow {
  order: Exact
  time: Exact
  maxTime: Exact
  readonly values: unknown[]
}

/**
 * The tail part of the index for one topic: per key, noted as the tail takes each record (a few
 * array reads per record, no allocation once a key is known). Keys come as the codes of the key
 * column's dictionary; `decode` turns a kept row into the caller's values when it is read.
 */
export class LatestKeeper {
  private readonly rows: Array<KeptRow | undefined> = []
  private readonly columnsOf: readonly number[]
  private readonly keyColumn: number
  private readonly orderColumn: number
  private readonly timeColumn: number
  /** Per partition: every record the tail took from this offset on has been noted. */
  readonly since = new Map<number, bigint>()

  constructor(
    readonly spec: LatestSpec,
    columnNames: readonly string[],
    /** A kept row's key (its code) and values → the key and the values as `LatestEntry` holds them. */
    private readonly decode: (keyCode: number, values: readonly unknown[]) => { key: string; values: unknown[] },
  ) {
    const index = (name: string): number => {
      const k = columnNames.indexOf(name)
      if (k < 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `the latest index needs column ${name}, which the tail does not keep`)
      return k
    }
    this.keyColumn = index(spec.key)
    this.orderColumn = index(spec.order)
    this.timeColumn = index(spec.time)
    this.columnsOf = spec.fields.map(index)
  }

  /** Notes row `row` of `columns` (the tail's column arrays; the key column holds dictionary codes). */
  note(columns: readonly (readonly unknown[])[], row: number): void {
    const code = columns[this.keyColumn]![row]
    if (typeof code !== 'number') return
    const order = columns[this.orderColumn]![row] as Exact
    const time = columns[this.timeColumn]![row] as Exact
    const kept = this.rows[code]
    if (kept === undefined) {
      this.rows[code] = { order, time, maxTime: time, values: this.columnsOf.map((k) => columns[k]![row]) }
      return
    }
    if (time > kept.maxTime) kept.maxTime = time
    if (order > kept.order) {
      kept.order = order
      kept.time = time
      const values = kept.values
      for (let j = 0; j < values.length; j++) values[j] = columns[this.columnsOf[j]!]![row]
    }
  }

  /**
   * The tail takes `partition` from `offset` on and skipped what was before it (it started there,
   * or its rest moved it up to the lake's offsets past records it never read).
   */
  restart(partition: number, offset: bigint): void {
    this.since.set(partition, offset)
  }

  /** Whether every record from `from` on (per partition) has been noted: `since` is at or below it. */
  notesFrom(from: ReadonlyMap<number, bigint>): boolean {
    for (const [p, s] of this.since) if (s > (from.get(p) ?? 0n)) return false
    return true
  }

  /** The entries, one per key noted. */
  entries(): LatestEntry[] {
    const out: LatestEntry[] = []
    this.rows.forEach((r, code) => {
      if (!r) return
      const { key, values } = this.decode(code, r.values)
      out.push({ key, order: BigInt(r.order), timeUs: BigInt(r.time), maxTimeUs: BigInt(r.maxTime), values })
    })
    return out
  }
}
