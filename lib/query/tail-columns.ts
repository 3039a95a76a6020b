import { exactInteger } from '../avro/body-reader'
import { decimalUnscaled } from '../avro/decimal'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { parsePrimitiveType } from '../iceberg/single-value'
import type { NestedField, Schema } from '../iceberg/spec-types'

/**
 * How the Kafka tail stores the columns of a table in DuckDB, and the SQL that reads them back
 * as the Iceberg types the lake files have. Stored as those types where DuckDB has them (strings,
 * µs as TIMESTAMPTZ, exact decimals), so a query's view of the tail is little more than a
 * projection: DuckDB binds and optimises a parameterised query over a lake file afresh on every
 * run (docs/decisions.md, D88), and each conversion in the view cost that again. Strings are still
 * decoded to codes of a dictionary per column (symbols, venues, currencies, sides repeat
 * endlessly), which the append writes as the values themselves (tail-vectors.ts); numbers, µs and
 * decimals go into fixed-width vectors (decimals as their unscaled integer, exact), and a list of
 * strings is one text joined by U+001F, NULL when empty (the same values as the sink's staging,
 * which reads '' as the empty list too).
 */
export type TailColumnKind = 'string' | 'bigint' | 'integer' | 'boolean' | 'double' | 'float' | 'decimal' | 'string-list'

export interface TailColumn {
  readonly field: NestedField
  readonly kind: TailColumnKind
  /** For `decimal`: the Iceberg precision and scale (the column stores value × 10^scale). */
  readonly precision: number
  readonly scale: number
  /** The DuckDB SQL type of the stored column. */
  readonly sqlType: string
  /** SQL turning the stored column into the Iceberg type (the column itself where it is stored as that type). */
  convert(col: string): string
  /**
   * A value as TableDesign.row gives it (decimals as exact strings, µs as bigint, lists of
   * strings) → what the column stores (integers, µs and unscaled decimals as numbers where they
   * are safe integers, else bigints). Throws RECORD_INVALID for a decimal that does not fit.
   */
  fromRowValue(value: unknown): unknown
}

const listSeparator = '\x1f'
const same = (c: string): string => c
const asIs = (v: unknown): unknown => v
/** µs and longs are kept as exact integers: numbers where safe (no allocation per value), else bigints. */
const toExact = (v: unknown): unknown => (typeof v === 'bigint' ? exactInteger(v) : v)

/** The tail column of each top-level field of `schema`, in order. */
export function tailColumns(schema: Schema): TailColumn[] {
  return schema.fields.map(tailColumn)
}

function tailColumn(field: NestedField): TailColumn {
  const base = { field, precision: 0, scale: 0, convert: same, fromRowValue: asIs }
  const t = field.type
  if (typeof t === 'object') {
    if (t.type === 'list' && t.element === 'string') {
      return {
        ...base,
        kind: 'string-list',
        sqlType: 'VARCHAR',
        convert: (c) => `CASE WHEN ${c} IS NULL OR ${c} = '' THEN []::VARCHAR[] ELSE string_split(${c}, chr(31)) END`,
        fromRowValue: (v) => joinStringList(v as readonly string[]),
      }
    }
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `the Kafka tail does not store column ${field.name} of type ${JSON.stringify(t)} (lists of strings and primitives only)`)
  }
  const p = parsePrimitiveType(t)
  switch (p.kind) {
    case 'string':
      return { ...base, kind: 'string', sqlType: 'VARCHAR' }
    case 'long':
      return { ...base, kind: 'bigint', sqlType: 'BIGINT', fromRowValue: toExact }
    case 'int':
      return { ...base, kind: 'integer', sqlType: 'INTEGER' }
    case 'boolean':
      return { ...base, kind: 'boolean', sqlType: 'BOOLEAN' }
    case 'double':
      return { ...base, kind: 'double', sqlType: 'DOUBLE' }
    case 'float':
      return { ...base, kind: 'float', sqlType: 'FLOAT' }
    case 'timestamptz':
      return { ...base, kind: 'bigint', sqlType: 'TIMESTAMPTZ', fromRowValue: toExact }
    case 'timestamp':
      return { ...base, kind: 'bigint', sqlType: 'TIMESTAMP', fromRowValue: toExact }
    case 'date':
      return { ...base, kind: 'integer', sqlType: 'INTEGER', convert: (c) => `(DATE '1970-01-01' + ${c})` }
    case 'decimal': {
      const { precision, scale } = p
      return { ...base, kind: 'decimal', precision, scale, sqlType: `DECIMAL(${precision}, ${scale})`, fromRowValue: (v) => exactInteger(decimalUnscaled(v, precision, scale)) }
    }
    default:
      throw new WorkbenchError(ErrorCode.ConfigInvalid, `the Kafka tail does not store column ${field.name} of type ${t}`)
  }
}

/** A list of strings as the tail stores it: joined by U+001F, NULL when empty. */
export function joinStringList(list: readonly string[]): string | null {
  return list.length === 0 ? null : list.join(listSeparator)
}

/**
 * The codes of one string column: each distinct value gets the next code from 0. `codeOfUtf8`
 * finds the code of a value still in its UTF-8 bytes without making a string, from a cache of the
 * byte sequences seen: the code is still that of the decoded string, so two byte sequences that
 * decode alike share it. `inline` gives a value as DuckDB stores a short string, made once a code.
 */
export class StringDictionary {
  private readonly codes = new Map<string, number>()
  private readonly values: string[] = []
  /** Byte sequences seen (up to `maxCachedBytes` long), by a hash of their bytes. */
  private readonly byHash = new Map<number, Array<{ readonly bytes: Uint8Array; readonly code: number }>>()
  /** Per code: the value as DuckDB's 16-byte inlined string, null when it is too long to inline. */
  private readonly inlined: Array<Uint8Array | null> = []

  /** The code of `value` (a new one for a value not seen yet). */
  code(value: string): number {
    let code = this.codes.get(value)
    if (code === undefined) {
      code = this.values.length
      this.codes.set(value, code)
      this.values.push(value)
    }
    return code
  }

  /** The code of the UTF-8 string in `buf[start, end)` (invalid sequences decode to U+FFFD, as Buffer decodes them). */
  codeOfUtf8(buf: Buffer, start: number, end: number): number {
    const length = end - start
    if (length > maxCachedBytes) return this.code(buf.toString('utf8', start, end))
    let h = 0x811c9dc5 ^ length
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
    let bucket = this.byHash.get(h)
    if (bucket) {
      outer: for (const entry of bucket) {
        const bytes = entry.bytes
        if (bytes.length !== length) continue
        for (let i = 0; i < length; i++) if (bytes[i] !== buf[start + i]) continue outer
        return entry.code
      }
    } else this.byHash.set(h, (bucket = []))
    const code = this.code(buf.toString('utf8', start, end))
    bucket.push({ bytes: Uint8Array.prototype.slice.call(buf, start, end), code })
    return code
  }

  /** The value of a code. */
  value(code: number): string {
    return this.values[code]!
  }

  get size(): number {
    return this.values.length
  }

  /**
   * The value of a code as DuckDB lays out a string of at most 12 UTF-8 bytes in a vector (its
   * length as a little-endian uint32, then the bytes, zero-padded to 16), or null for a longer one.
   */
  inline(code: number): Uint8Array | null {
    let bytes = this.inlined[code]
    if (bytes === undefined) {
      const utf8 = Buffer.from(this.values[code]!, 'utf8')
      bytes = null
      if (utf8.length <= inlineStringBytes) {
        bytes = new Uint8Array(16)
        new DataView(bytes.buffer).setUint32(0, utf8.length, true)
        bytes.set(utf8, 4)
      }
      this.inlined[code] = bytes
    }
    return bytes
  }
}

/** The longest string (in UTF-8 bytes) DuckDB keeps inside its 16-byte string header. */
const inlineStringBytes = 12

/** Longer strings are not worth a byte cache: they are decoded and looked up as strings. */
const maxCachedBytes = 64

/**
 * Rows of one topic waiting to be appended to its tail table, column by column: the Kafka
 * partition and offset of each record, then one array per tail column, filled up to `length`.
 * A row is written in place at index `length` and counted only once it is complete, so a record
 * that fails halfway leaves nothing behind.
 */
export class TailChunk {
  readonly partitions: number[]
  /** Kafka offsets (exact below 2^53, which no partition reaches). */
  readonly offsets: number[]
  readonly columns: unknown[][]
  length = 0

  constructor(
    readonly capacity: number,
    width: number,
  ) {
    this.partitions = new Array<number>(capacity)
    this.offsets = new Array<number>(capacity)
    this.columns = Array.from({ length: width }, () => new Array<unknown>(capacity))
  }

  get full(): boolean {
    return this.length >= this.capacity
  }

  /** Counts the row at index `length` (its columns already written) with its Kafka position. */
  commit(partition: number, offset: number): void {
    this.partitions[this.length] = partition
    this.offsets[this.length] = offset
    this.length++
  }
}
