import type { DuckDBConnection } from '@duckdb/node-api'
import { errorMessage } from '../errors/index'
import { sqlString } from '../iceberg/duckdb-sql'
import type { Logger } from '../logger/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import type { TailFold, TopicTail } from './tail-topic'

/**
 * Folds of the Kafka tail (docs/decisions.md, D83): a rollup's partial rows of the tail's records,
 * kept as the tail reads, so a query over a rollup reads a few partial rows per second of tail
 * instead of aggregating every record the rollup has not folded in yet (100,000 of them at 2,000
 * trades/s and a rollup 50 s behind).
 *
 * About once a second the records a topic's tail appended since the last fold are folded, per
 * partition, into blocks: offsets [lo, hi) of one partition, whose partial rows (minute bars,
 * latest trades) go to one table per rollup, tagged with the block. Blocks of a partition follow
 * each other without a gap. A query reading offsets [b, e) takes the run of whole blocks inside
 * it, [cl, ch), as folded rows, and only the records of [b, cl) and [ch, e) raw, folded at query
 * time: partial rows of any split of the records merge into the same answer (minute-bars.ts). The
 * blocks a query may take are decided here, before the query runs, from blocks already committed:
 * a trim removes only blocks below every pinned offset, so they are there when it reads them.
 *
 * The records around the blocks are found by `_seq`, the order the tail appended its rows in
 * (every partition's): a fold takes every row appended since the last one, so the rows of one
 * fold's blocks have `_seq` in [that fold's start, the next one's), and rows not folded yet have
 * `_seq` from the last fold's end on. The records of [b, cl) lie in the blocks before the run,
 * those of [ch, e) from the run's end on: two `_seq` ranges DuckDB skips the rest of the table by
 * (a range joined from a table still prunes its scan), where matching on offsets alone read every
 * row (partitions' offsets are not comparable with each other).
 */

/** Offsets [lo, hi) of one partition folded as one block, by the fold whose rows have `_seq` from `seq` on. */
interface Block {
  readonly lo: number
  readonly hi: number
  readonly seq: number
}

/** How a read of one partition's [b, e) goes: whole blocks [from, to), the records around them raw. */
export interface FoldedRange {
  readonly from: bigint
  readonly to: bigint
  /** `_seq` range [headSeqFrom, headSeqTo) holding the records of [b, from). */
  readonly headSeqFrom: bigint
  readonly headSeqTo: bigint
  /** `_seq` from which on the records of [to, e) are. */
  readonly restSeqFrom: bigint
}

/** Per partition, how a read goes (see FoldedRange), and the records it reads folded. */
export interface FoldedRanges {
  readonly ranges: ReadonlyMap<number, FoldedRange>
  /** Records in the whole blocks (read as folded rows). */
  readonly records: number
}

/** The folds of one topic's tail. */
export class TopicFolds {
  private readonly blocks = new Map<number, Block[]>()
  private readonly foldedTo = new Map<number, number>()
  /** `_seq` of the first row the next fold takes. */
  private foldSeq = 0
  private lastFold = 0
  private failures = 0

  constructor(
    private readonly tail: TopicTail,
    readonly folds: readonly TailFold[],
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** The table of a fold's partial rows: `_partition`, `_lo`, `_hi`, then the rollup's columns. */
  tableOf(name: string): string {
    return `${this.tail.table}_fold_${name.replace(/[^A-Za-z0-9_]/g, '_')}`
  }

  /** The fold tables, created empty with the types the partial SQL gives. */
  createSql(): string[] {
    return this.folds.map(
      (f) =>
        `CREATE OR REPLACE TABLE ${this.tableOf(f.name)} AS SELECT 0::INTEGER AS _partition, 0::BIGINT AS _lo, 0::BIGINT AS _hi, x.* EXCLUDE (_partition) FROM (${this.partialOf(f, 'false')}) x LIMIT 0`,
    )
  }

  dropSql(): string[] {
    return this.folds.map((f) => `DROP TABLE IF EXISTS ${this.tableOf(f.name)}`)
  }

  /** Whether a fold is due (a second since the last one). */
  due(now = performance.now()): boolean {
    return now - this.lastFold >= this.intervalMs
  }

  /** Milliseconds since the last fold began. */
  sinceFold(now = performance.now()): number {
    return now - this.lastFold
  }

  /**
   * Folds every record appended since the last fold (the caller holds the tail's connection
   * exclusively): the partial rows of all rollups in one transaction, then the blocks become
   * readable. A failure is logged and folds nothing: those records are read raw.
   */
  async fold(conn: DuckDBConnection): Promise<void> {
    this.lastFold = performance.now()
    this.tail.flush()
    const seq = this.foldSeq
    const seqTo = this.tail.appendedRows
    const blocks: Array<[number, Block]> = []
    for (const [p, list] of this.tail.offsets) {
      const last = list.last()
      if (last === undefined) continue
      const kept = Number(this.tail.kept.get(p) ?? 0n)
      const lo = Math.max(this.foldedTo.get(p) ?? kept, kept)
      if (last + 1 > lo) blocks.push([p, { lo, hi: last + 1, seq }])
    }
    if (blocks.length === 0) return
    const where = `t._seq >= ${seq} AND t._seq < ${seqTo} AND (${blocks.map(([p, b]) => `(t._partition = ${p} AND t._offset >= ${b.lo} AND t._offset < ${b.hi})`).join(' OR ')})`
    if (!(await this.writeBlocks(conn, [{ where, blocks }], undefined, 'folding the Kafka tail failed; its records are read raw, as before'))) return
    for (const [p, b] of blocks) {
      let list = this.blocks.get(p)
      if (!list) this.blocks.set(p, (list = []))
      list.push(b)
      this.foldedTo.set(p, b.hi)
    }
    this.foldSeq = seqTo
  }

  /**
   * Makes a block start at each partition's offset in `at` (a snapshot's, which reads will start
   * from) where a block holds it inside: that block becomes two, the records below the offset and
   * those from it, in one transaction. Blocks still tile each partition, so a read that chose its
   * blocks before the split reads the same records after it; a read from `at` takes whole blocks
   * from its first record, none of them folded at query time (D90). The caller holds the tail's
   * connection exclusively, before a trim; a failure is logged and splits nothing (those records
   * are read raw, as before).
   */
  async splitAt(conn: DuckDBConnection, at: SnapshotOffsets): Promise<void> {
    const splits: Array<{ p: number; old: Block; left: Block; right: Block }> = []
    for (const [p, o] of at) {
      const b = Number(o)
      const old = (this.blocks.get(p) ?? []).find((k) => k.lo < b && b < k.hi)
      if (old) splits.push({ p, old, left: { lo: old.lo, hi: b, seq: old.seq }, right: { lo: b, hi: old.hi, seq: old.seq } })
    }
    if (splits.length === 0) return
    // The rows of a block have `_seq` in [its fold's start, the next fold's start).
    const seqs = [...this.blocks.values()].flatMap((l) => l.map((k) => k.seq))
    const seqEnd = (seq: number): number => Math.min(...seqs.filter((x) => x > seq), this.foldSeq)
    const rowsOf = (side: 'left' | 'right'): string => splits.map((x) => `(t._partition = ${x.p} AND t._seq >= ${x[side].seq} AND t._seq < ${seqEnd(x[side].seq)} AND t._offset >= ${x[side].lo} AND t._offset < ${x[side].hi})`).join(' OR ')
    const done = await this.writeBlocks(
      conn,
      [
        { where: rowsOf('left'), blocks: splits.map((x) => [x.p, x.left]) },
        { where: rowsOf('right'), blocks: splits.map((x) => [x.p, x.right]) },
      ],
      splits.map((x) => `(_partition = ${x.p} AND _lo = ${x.old.lo} AND _hi = ${x.old.hi})`).join(' OR '),
      'splitting a folded block of the Kafka tail failed; its records are read raw, as before',
    )
    if (!done) return
    for (const x of splits) {
      const list = this.blocks.get(x.p)!
      list.splice(list.indexOf(x.old), 1, x.left, x.right)
    }
  }

  /**
   * In one transaction: deletes the fold rows matching `replaced` (if any), then inserts the
   * partial rows of every fold for the records matching each step's `where`, tagged with their
   * blocks (one per partition a step); false (logged once) when it failed.
   */
  private async writeBlocks(conn: DuckDBConnection, steps: ReadonlyArray<{ where: string; blocks: ReadonlyArray<[number, Block]> }>, replaced: string | undefined, failure: string): Promise<boolean> {
    try {
      await conn.run('BEGIN TRANSACTION')
      for (const f of this.folds) {
        if (replaced) await conn.run(`DELETE FROM ${this.tableOf(f.name)} WHERE ${replaced}`)
        for (const { where, blocks } of steps) {
          const values = blocks.map(([p, b]) => `(${p}, ${b.lo}, ${b.hi})`).join(', ')
          await conn.run(
            `INSERT INTO ${this.tableOf(f.name)} SELECT f.p, f.lo, f.hi, x.* EXCLUDE (_partition) FROM (${this.partialOf(f, where)}) x JOIN (VALUES ${values}) f(p, lo, hi) ON x._partition = f.p`,
          )
        }
      }
      await conn.run('COMMIT')
      return true
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined)
      if (this.failures++ === 0) this.log.warn(failure, { topic: this.tail.stream.topic, error: errorMessage(err) })
      return false
    }
  }

  /**
   * Per partition, how a read of [from, to) goes: the run of whole blocks without a gap inside it
   * (none where no block fits: from = to = b), and the `_seq` ranges of the records around it.
   */
  covered(from: SnapshotOffsets, to: SnapshotOffsets): FoldedRanges {
    const ranges = new Map<number, FoldedRange>()
    let records = 0
    for (const [p, end] of to) {
      const b = Number(from.get(p) ?? 0n)
      const e = Number(end)
      const list = this.blocks.get(p) ?? []
      let i = list.findIndex((k) => k.lo >= b)
      let cl = b
      let ch = b
      if (i >= 0 && list[i]!.hi <= e) {
        cl = list[i]!.lo
        ch = list[i]!.hi
        while (i + 1 < list.length && list[i + 1]!.lo === ch && list[i + 1]!.hi <= e) ch = list[++i]!.hi
        records += this.tail.offsets.get(p)?.countBetween(cl, ch) ?? 0
      }
      const seqOf = (o: number): bigint => BigInt(this.seqAt(list, o))
      ranges.set(p, { from: BigInt(cl), to: BigInt(ch), headSeqFrom: seqOf(b), headSeqTo: cl > b ? BigInt(this.seqAfter(list, cl - 1)) : seqOf(b), restSeqFrom: seqOf(ch) })
    }
    return { ranges, records }
  }

  /**
   * A `_seq` no row of the partition at offset `o` or later is below: that of the fold whose block
   * holds `o`, or the next fold's for an offset past every block; 0 (no bound) for one before them.
   */
  private seqAt(list: readonly Block[], o: number): number {
    for (let i = list.length - 1; i >= 0; i--) {
      const k = list[i]!
      if (k.lo <= o && o < k.hi) return k.seq
      if (o >= k.hi) return i === list.length - 1 ? this.foldSeq : 0
    }
    return 0
  }

  /**
   * A `_seq` every row of the partition's blocks up to the one holding offset `o` is below: the
   * next fold's start after that block's (the two halves of a split block share their fold's).
   */
  private seqAfter(list: readonly Block[], o: number): number {
    const at = list.findIndex((k) => k.lo <= o && o < k.hi)
    if (at < 0) return this.foldSeq
    for (let i = at + 1; i < list.length; i++) if (list[i]!.seq > list[at]!.seq) return list[i]!.seq
    return this.foldSeq
  }

  /** Forgets blocks starting below `to` (trimmed: their records go or went); the statements deleting their rows. */
  trim(to: SnapshotOffsets): string[] {
    const drop: string[] = []
    for (const [p, o] of to) {
      const list = this.blocks.get(p)
      if (!list) continue
      const keep = list.findIndex((k) => k.lo >= Number(o))
      list.splice(0, keep < 0 ? list.length : keep)
      drop.push(`(_partition = ${p} AND _lo < ${o})`)
    }
    return drop.length === 0 ? [] : this.folds.map((f) => `DELETE FROM ${this.tableOf(f.name)} WHERE ${drop.join(' OR ')}`)
  }

  /**
   * A fold's partial rows of the tail read through `bounds` (columns scope, topic, p, b, e, cl,
   * ch, hs, he, rs: offsets [b, e) of partition p, of which [cl, ch) are whole blocks; the records
   * of [b, cl) have `_seq` in [hs, he), those of [ch, e) from rs on): the blocks' rows, and the
   * rest of the records folded now; without `raw` (the read has no record outside whole blocks),
   * the blocks' rows alone.
   */
  boundedSql(name: string, bounds: string, scope: string, raw = true): string {
    const f = this.folds.find((k) => k.name === name)
    if (!f) throw new Error(`no fold ${name} of ${this.tail.stream.topic}`)
    const topic = this.tail.stream.topic
    const ours = `r.scope = ${sqlString(scope)} AND r.topic = ${sqlString(topic)}`
    const folded = `SELECT s.* EXCLUDE (_partition, _lo, _hi) FROM ${this.tableOf(name)} s, ${bounds} r WHERE ${ours} AND s._partition = r.p AND s._lo >= r.cl AND s._hi <= r.ch`
    // Every record of the read in whole blocks: the blocks alone (the query plans no fold of its own).
    if (!raw) return folded
    const head = `${ours} AND t._partition = r.p AND t._seq >= r.hs AND t._seq < r.he AND t._offset >= r.b AND t._offset < r.cl`
    const rest = `${ours} AND t._partition = r.p AND t._seq >= r.rs AND t._offset >= r.ch AND t._offset < r.e`
    const foldedNow = f.partialSql(`(${this.tail.selectAnySql([head, rest], [`${bounds} r`])})`)
    return `${folded} UNION ALL SELECT * FROM (${foldedNow})`
  }

  private partialOf(f: TailFold, where: string): string {
    return f.partialSql(`(${this.tail.selectSql(where, [], ['t._partition AS _partition'])})`, ['_partition'])
  }
}
