/**
 * One topic of the Kafka tail (kafka-tail.ts): its DuckDB table and appenders, its string
 * dictionaries, the offsets read and kept, and the rows decoded but not yet appended. Records are
 * decoded by the compiled decoder of their writer schema straight into column arrays, or by the
 * reference path (avsc) where there is none, and appended a full DataChunk at a time.
 */
import {
  BIGINT,
  BOOLEAN,
  DECIMAL,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBDecimalValue,
  FLOAT,
  INTEGER,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api'
import type { KafkaMessage } from 'kafkajs'
import { ErrorCode, WorkbenchError, errorMessage, isWorkbenchError } from '../errors/index'
import { quoteIdent } from '../iceberg/duckdb-sql'
import type { Schema } from '../iceberg/spec-types'
import type { Logger } from '../logger/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import { decimalText } from './column-reader'
import { LatestKeeper, type LatestSpec } from './latest-index'
import { StringDictionary, TailChunk, tailColumns, type TailColumn } from './tail-columns'
import { wireSchemaId, type ColumnDecoder } from './tail-decoder'
import { writeExactIntegers, writeStrings, type IntegerWidth } from './tail-vectors'

/** A rollup the tail keeps folds of: its engine table, and its partial rows of source rows. */
export interface TailFold {
  readonly name: string
  /** Partial rows of the source rows in `relation`, split by `keys` (which lead each row), in the table's column order. */
  readonly partialSql: (relation: string, keys?: readonly string[]) => string
}

/** One topic the tail reads, and how its records become table rows. */
export interface TailStream<R> {
  readonly topic: string
  /** The Iceberg schema of the table the topic feeds (the tail has the same columns). */
  readonly schema: Schema
  /** The reference path: a message value → a record (RecordSerde), or a throw for an undecodable one. */
  readonly decode: (value: Buffer) => Promise<R>
  /** Values of one record in schema field order (TableDesign.row). */
  readonly row: (record: R) => readonly unknown[]
  /** Where to start: the offsets the table holds (partitions not named start at the earliest offset). */
  readonly start: SnapshotOffsets
  /**
   * The fast path: a decoder for values written with a schema id, straight into `columns` (the
   * values of `string` columns as codes of their `dictionaries`), or undefined to decode that
   * id's records with `decode` and `row`. Asked once per id.
   */
  readonly columnDecoder?: (schemaId: number, columns: readonly TailColumn[], dictionaries: ReadonlyArray<StringDictionary | undefined>) => Promise<ColumnDecoder | undefined>
  /** Rollups whose partial rows of this topic's records the tail keeps folded as it reads (tail-folds.ts). */
  readonly folds?: readonly TailFold[]
  /** The latest row per key the tail keeps in memory as it reads (latest-index.ts, D91). */
  readonly latest?: LatestSpec
}

/**
 * Records kept, skipped (undecodable), fetched batches, rows trimmed; `fastRecords` of the
 * records went through a compiled decoder; `rests` times the tail paused for want of queries.
 */
export interface TailStats {
  records: number
  skipped: number
  batches: number
  trimmed: number
  fastRecords: number
  rests: number
}

/** A growable ascending list of offsets with a moving start (offsets stay below 2^53). */
export class OffsetList {
  private data = new Float64Array(1024)
  private start = 0
  private end = 0
  push(offset: number): void {
    if (this.end === this.data.length) {
      const live = this.end - this.start
      const next = new Float64Array(Math.max(1024, live * 2))
      next.set(this.data.subarray(this.start, this.end))
      this.data = next
      this.start = 0
      this.end = live
    }
    this.data[this.end++] = offset
  }
  /** Index of the first offset ≥ o. */
  private lowerBound(o: number): number {
    let lo = this.start
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.data[mid]! < o) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  /** The highest offset kept, or undefined when none is. */
  last(): number | undefined {
    return this.end > this.start ? this.data[this.end - 1] : undefined
  }
  countBetween(from: number, to: number): number {
    return Math.max(0, this.lowerBound(to) - this.lowerBound(from))
  }
  dropBelow(o: number): void {
    this.start = this.lowerBound(o)
  }
}

/** The DuckDB type a tail column is appended as. */
function duckType(c: TailColumn): DuckDBType {
  switch (c.kind) {
    case 'string':
    case 'string-list':
      return VARCHAR
    case 'bigint':
      return c.sqlType === 'TIMESTAMPTZ' ? TIMESTAMPTZ : c.sqlType === 'TIMESTAMP' ? TIMESTAMP : BIGINT
    case 'integer':
      return INTEGER
    case 'boolean':
      return BOOLEAN
    case 'double':
      return DOUBLE
    case 'float':
      return FLOAT
    case 'decimal':
      return DECIMAL(c.precision, c.scale)
  }
}

/** One topic's tail: its table and appender, its string dictionaries, what has been read, and rows waiting to be appended. */
export class TopicTail {
  readonly columns: TailColumn[]
  private readonly types: DuckDBType[]
  /** Per column: the dictionary of a string column, else undefined. */
  private readonly dictionaries: Array<StringDictionary | undefined>
  /** Per column: one decimal value reused for every append (the vector copies it at once). */
  private readonly decimalBoxes: Array<DuckDBDecimalValue | undefined>
  /** Per column: the bytes of a value in its 64- or 128-bit integer vector (BIGINT, DECIMAL 10-38 digits), else undefined. */
  private readonly integerWidths: Array<IntegerWidth | undefined>
  /** Appended chunks, ready to be filled again. */
  private readonly spare: TailChunk[] = []
  readonly next = new Map<number, bigint>()
  readonly kept = new Map<number, bigint>()
  /**
   * Per partition, the offset after the last record `take` dealt with (kept or skipped): a batch
   * retried after a retryable failure resumes there, so the rows it already took are not taken twice.
   */
  private readonly taken = new Map<number, bigint>()
  /** Offsets of the rows kept, per partition, ascending (trimmed from the front). */
  readonly offsets = new Map<number, OffsetList>()
  private pending: TailChunk
  private readonly full: TailChunk[] = []
  /** Rows appended since the last flush (not yet visible to other connections). */
  private unflushed = false
  /**
   * Rows appended so far: the next row's `_seq`. A row's `_seq` orders it among every partition's
   * rows as they were appended, so a read of the newest rows can skip the older ones (tail-folds.ts).
   */
  private appended = 0
  private readonly seqScratch: number[] = []
  private readonly decoders = new Map<number, ColumnDecoder | null>()
  /** The latest row per key of the records taken (the stream's `latest`), else undefined. */
  readonly latest: LatestKeeper | undefined

  constructor(
    readonly stream: TailStream<unknown>,
    readonly table: string,
    private readonly appender: DuckDBAppender,
    private readonly chunkRows: number,
    private readonly stats: TailStats,
    private readonly log: Logger,
  ) {
    this.columns = tailColumns(stream.schema)
    this.types = [INTEGER, BIGINT, BIGINT, ...this.columns.map(duckType)]
    this.dictionaries = this.columns.map((c) => (c.kind === 'string' ? new StringDictionary() : undefined))
    this.decimalBoxes = this.columns.map((c) => (c.kind === 'decimal' ? new DuckDBDecimalValue(0n, c.precision, c.scale) : undefined))
    this.integerWidths = this.columns.map(integerWidth)
    this.pending = this.newChunk()
    this.latest = stream.latest ? latestKeeper(stream.latest, this.columns, this.dictionaries) : undefined
  }

  /** The tail's table. */
  static createSql(table: string, columns: readonly TailColumn[]): string[] {
    return [`CREATE OR REPLACE TABLE ${table} (_partition INTEGER, _offset BIGINT, _seq BIGINT, ${columns.map((c, k) => `c${k} ${c.sqlType}`).join(', ')})`]
  }

  /**
   * SQL selecting the rows matching `where`, each column converted to its Iceberg type and named
   * as the table's field; `joined` adds relations to the FROM list (`where` may name them),
   * `leading` columns before the fields (e.g. `t._partition AS _partition`); `source` is what the
   * rows come from as `t` (the tail's table, or a relation of its stored rows).
   */
  selectSql(where: string, joined: readonly string[] = [], leading: readonly string[] = [], source: string = this.table): string {
    const cols = [...leading, ...this.columns.map((c, k) => `${c.convert(`t.c${k}`)} AS ${quoteIdent(c.field.name)}`)].join(', ')
    return `SELECT ${cols} FROM ${source} t${joined.map((j) => `, ${j}`).join('')} WHERE ${where}`
  }

  /**
   * As selectSql, for the rows matching any of `wheres` (which select disjoint rows: each is
   * read once per where it matches): one scan each (each keeps its own pruning), their stored
   * rows put together first and converted once.
   */
  selectAnySql(wheres: readonly string[], joined: readonly string[] = []): string {
    const scans = wheres.map((w) => `SELECT t.* FROM ${this.table} t${joined.map((j) => `, ${j}`).join('')} WHERE ${w}`)
    return this.selectSql('true', [], [], `(${scans.join(' UNION ALL ')})`)
  }

  private newChunk(): TailChunk {
    const chunk = this.spare.pop()
    if (!chunk) return new TailChunk(this.chunkRows, this.columns.length)
    chunk.length = 0
    return chunk
  }

  /**
   * Decodes the records of one fetched batch into pending rows (those below the position are ones
   * read already). A retryable failure (the schema registry down) is thrown, not counted as an
   * undecodable record: the caller retries the batch, and nothing is skipped.
   */
  async take(partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    const next = this.next.get(partition) ?? 0n
    const taken = this.taken.get(partition) ?? 0n
    // Offsets as numbers: exact below 2^53, which no partition reaches.
    const from = Number(taken > next ? taken : next)
    let list = this.offsets.get(partition)
    if (!list) this.offsets.set(partition, (list = new OffsetList()))
    let dealt = -1
    try {
      for (const message of messages) {
        const offset = Number(message.offset)
        if (offset < from) continue
        const decoded = this.decode(message.value, partition, message.offset)
        const kept = typeof decoded === 'boolean' ? decoded : await decoded
        // Dealt with (kept or skipped as undecodable): a retry of this batch starts after it.
        dealt = offset
        if (!kept) continue
        this.latest?.note(this.pending.columns, this.pending.length)
        this.pending.commit(partition, offset)
        list.push(offset)
        this.stats.records++
        if (this.pending.full) {
          this.full.push(this.pending)
          this.pending = this.newChunk()
        }
      }
    } finally {
      if (dealt >= 0) this.taken.set(partition, BigInt(dealt) + 1n)
    }
  }

  /**
   * One value into the next pending row, by the compiled decoder of its writer schema or else the
   * reference path; false (counted) for a record that cannot be read. Synchronous on the hot path
   * (a known schema the compiled decoder reads): no promise per record. A flush may swap the
   * pending chunk while this awaits, so the row is written without an await in between.
   */
  private decode(value: Buffer | null, partition: number, offset: string): boolean | Promise<boolean> {
    if (value === null) {
      this.stats.skipped++
      return false
    }
    const id = wireSchemaId(value)
    const decoder = id !== undefined && this.stream.columnDecoder ? this.decoders.get(id) : null
    if (decoder === undefined) return this.resolve(id!).then(() => this.decode(value, partition, offset))
    if (decoder && this.decodeFast(decoder, value)) return true
    return this.decodeReference(value, partition, offset)
  }

  /** The compiled decoder into the next pending row; false when it refuses the value (the reference path then decides). */
  private decodeFast(decoder: ColumnDecoder, value: Buffer): boolean {
    try {
      decoder(value, this.pending.columns, this.pending.length)
      this.stats.fastRecords++
      return true
    } catch {
      return false
    }
  }

  /** The reference path (RecordSerde, TableDesign.row) into the next pending row; false (counted, logged once) for an undecodable value. */
  private async decodeReference(value: Buffer, partition: number, offset: string): Promise<boolean> {
    let values: readonly unknown[]
    try {
      values = this.stream.row(await this.stream.decode(value))
    } catch (err) {
      if (isWorkbenchError(err) && err.retryable) throw err
      this.stats.skipped++
      if (this.stats.skipped === 1) log1(this.log, this.stream.topic, partition, offset, err)
      return false
    }
    const chunk = this.pending
    const row = chunk.length
    try {
      for (let k = 0; k < this.columns.length; k++) {
        const value = this.columns[k]!.fromRowValue(values[k])
        const dictionary = this.dictionaries[k]
        chunk.columns[k]![row] = dictionary ? (typeof value === 'string' ? dictionary.code(value) : null) : value
      }
      return true
    } catch (err) {
      this.stats.skipped++
      if (this.stats.skipped === 1) log1(this.log, this.stream.topic, partition, offset, err)
      return false
    }
  }

  private async resolve(id: number): Promise<ColumnDecoder | null> {
    let decoder: ColumnDecoder | null = null
    try {
      decoder = (await this.stream.columnDecoder!(id, this.columns, this.dictionaries)) ?? null
    } catch (err) {
      // The registry is down: ask again on the retry rather than settle for the slow path.
      if (isWorkbenchError(err) && err.retryable) throw err
      this.log.warn('no compiled decoder for a writer schema; its records take the reference path', { topic: this.stream.topic, schemaId: id, error: errorMessage(err) })
    }
    if (!decoder) this.log.info('records of this writer schema are decoded by the reference path (avsc)', { topic: this.stream.topic, schemaId: id })
    this.decoders.set(id, decoder)
    return decoder
  }

  /** Appends full chunks to DuckDB; with `all`, the partial one too. */
  append(all: boolean): void {
    if (all && this.pending.length > 0) {
      this.full.push(this.pending)
      this.pending = this.newChunk()
    }
    for (const chunk of this.full.splice(0)) this.appendChunk(chunk)
  }

  /** The `_seq` the next appended row gets (rows appended so far). */
  get appendedRows(): number {
    return this.appended
  }

  /** Appends everything pending and makes it visible to the query connections. */
  flush(): void {
    this.append(true)
    if (!this.unflushed) return
    this.appender.flushSync()
    this.unflushed = false
  }

  private appendChunk(c: TailChunk): void {
    const n = c.length
    if (n > 0) {
      const chunk = DuckDBDataChunk.create(this.types, n)
      fill(chunk.getColumnVector(0), c.partitions, n)
      const offsets = chunk.getColumnVector(1)
      writeExactIntegers(offsets, c.offsets, n, 8, asBigInt)
      offsets.flush()
      const seqs = chunk.getColumnVector(2)
      for (let i = 0; i < n; i++) this.seqScratch[i] = this.appended + i
      writeExactIntegers(seqs, this.seqScratch, n, 8, asBigInt)
      seqs.flush()
      this.appended += n
      for (let k = 0; k < this.columns.length; k++) {
        const values = c.columns[k]!
        const vector = chunk.getColumnVector(k + 3)
        const dictionary = this.dictionaries[k]
        const box = this.decimalBoxes[k]
        const width = this.integerWidths[k]
        if (dictionary) writeStrings(vector, values, n, dictionary)
        else if (box) {
          const writable = box as { value: bigint }
          writeExactIntegers(vector, values, n, width, (v) => ((writable.value = v), box))
        } else if (width) writeExactIntegers(vector, values, n, width, asBigInt)
        else for (let i = 0; i < n; i++) vector.setItem(i, values[i] as never)
        vector.flush()
      }
      this.appender.appendDataChunk(chunk)
      this.unflushed = true
    }
    this.spare.push(c)
  }

  close(): void {
    try {
      this.appender.closeSync()
    } catch {
      // closed already
    }
  }
}

/** The keeper of `spec` over the tail's columns: kept values come back as the lake's rows have them (strings, bigint, exact decimal text, µs as bigint). */
function latestKeeper(spec: LatestSpec, columns: readonly TailColumn[], dictionaries: ReadonlyArray<StringDictionary | undefined>): LatestKeeper {
  const names = columns.map((c) => c.field.name)
  const kept = spec.fields.map((f) => names.indexOf(f))
  const keyDictionary = dictionaries[names.indexOf(spec.key)]
  if (!keyDictionary) throw new WorkbenchError(ErrorCode.ConfigInvalid, `the latest index's key ${spec.key} must be a string column of the tail`)
  const valueOf = (k: number, v: unknown): unknown => {
    if (v === null || v === undefined) return null
    const c = columns[k]!
    const dictionary = dictionaries[k]
    if (dictionary) return dictionary.value(v as number)
    if (c.kind === 'decimal') return decimalText(BigInt(v as number | bigint), c.scale)
    if (c.kind === 'bigint') return BigInt(v as number | bigint)
    return v
  }
  return new LatestKeeper(spec, names, (code, values) => ({ key: keyDictionary.value(code), values: values.map((v, j) => valueOf(kept[j]!, v)) }))
}

/** The bytes per value of a column stored in DuckDB's int64 or int128 layout, else undefined. */
function integerWidth(c: TailColumn): IntegerWidth | undefined {
  if (c.kind === 'bigint') return 8 // BIGINT, TIMESTAMPTZ and TIMESTAMP: int64 µs
  if (c.kind !== 'decimal' || c.precision <= 9) return undefined
  return c.precision <= 18 ? 8 : 16
}

const asBigInt = (v: bigint): bigint => v

function fill(vector: DuckDBVector, values: readonly unknown[], n: number): void {
  for (let i = 0; i < n; i++) vector.setItem(i, values[i] as never)
  vector.flush()
}

function log1(log: Logger, topic: string, partition: number, offset: string, err: unknown): void {
  log.warn('a tail record could not be decoded; it is skipped (the sink dead-letters it)', { topic, partition, offset, error: errorMessage(err) })
}

