import { Timestamp } from '../market/timestamp'
import { readColumn } from './column-reader'
import {
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Table,
  TimestampMicrosecond,
  Uint64,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow'
import {
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  type DuckDBDataChunk,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
} from '@duckdb/node-api'

/**
 * Query results as JavaScript rows and as Apache Arrow. Rows keep what must stay exact: DECIMAL
 * values are exact strings (`"67012.50000000"`, never a rounded double) and BIGINT is bigint;
 * timestamps are Dates (ms). Arrow keeps every type at full precision: Decimal128, Int64,
 * timestamps in µs with their UTC zone.
 */

/** A result column: its name and DuckDB type (`DECIMAL(18,8)`, `TIMESTAMP WITH TIME ZONE`, …). */
export interface QueryColumn {
  readonly name: string
  readonly type: string
}

/** JS values of a row: exact decimal strings, bigint, number, string, boolean, Date, arrays, null. */
export type QueryRow = Record<string, unknown>

/** DuckDB values → row values; decimals exact (see above), everything else as DuckDB's JS converter. */
export const exactValueConverter: DuckDBValueConverter<unknown> = (value, type, converter) => {
  if (value === null) return null
  if (type.typeId === DuckDBTypeId.DECIMAL) return (value as DuckDBDecimalValue).toString()
  return JSDuckDBValueConverter(value, type, converter as unknown as Parameters<typeof JSDuckDBValueConverter>[2])
}

/** One column's converter, chosen once per column (the common types without a per-value dispatch). */
function columnConverter(type: DuckDBType): (v: DuckDBValue) => unknown {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.BOOLEAN:
      return (v) => v
    case DuckDBTypeId.DECIMAL:
      return (v) => (v === null ? null : (v as DuckDBDecimalValue).toString())
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
      // A Date that keeps the µs (Timestamp): JSON gets all six fractional digits.
      return (v) => (v === null ? null : new Timestamp((v as unknown as { micros: bigint }).micros))
    default:
      return (v) => exactValueConverter(v, type, exactValueConverter)
  }
}

/** Converts result columns (DuckDB values, column-major) into rows. */
export function rowsOf(names: readonly string[], types: readonly DuckDBType[], columns: readonly (readonly DuckDBValue[])[], count: number): QueryRow[] {
  const converted = columns.map((col, c) => {
    const convert = columnConverter(types[c]!)
    const out = new Array<unknown>(count)
    for (let r = 0; r < count; r++) out[r] = convert(col[r]!)
    return out
  })
  return rowsOfColumns(names, converted, count)
}

/** Row objects from converted columns (column-major). */
function rowsOfColumns(names: readonly string[], columns: readonly (readonly unknown[])[], count: number): QueryRow[] {
  const rows: QueryRow[] = new Array(count)
  for (let r = 0; r < count; r++) {
    const row: QueryRow = {}
    for (let c = 0; c < names.length; c++) row[names[c]!] = columns[c]![r]
    rows[r] = row
  }
  return rows
}

/** The chunks of a result, read until it holds more than `maxRows` rows or ends. */
export async function readChunks(result: DuckDBResult, maxRows: number): Promise<{ chunks: DuckDBDataChunk[]; rows: number }> {
  const chunks: DuckDBDataChunk[] = []
  let rows = 0
  while (rows <= maxRows) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    chunks.push(chunk)
    rows += chunk.rowCount
  }
  return { chunks, rows }
}

/**
 * Rows from result chunks (the first `count` rows), with the same values as `rowsOf` over the
 * same result's columns. The common types are read from the chunks' memory (column-reader.ts);
 * the rest through DuckDB's values.
 */
export function rowsOfChunks(names: readonly string[], types: readonly DuckDBType[], chunks: readonly DuckDBDataChunk[], count: number): QueryRow[] {
  const columns = names.map((_, c) => {
    const type = types[c]!
    const convert = columnConverter(type)
    const out: unknown[] = []
    for (const chunk of chunks) {
      const n = Math.min(chunk.rowCount, count - out.length)
      if (n <= 0) break
      if (readColumn(chunk, c, type, n, out)) continue
      const vector = chunk.getColumnVector(c)
      for (let i = 0; i < n; i++) out.push(convert(vector.getItem(i)))
    }
    return out
  })
  return rowsOfColumns(names, columns, count)
}

/** Result columns (DuckDB values, column-major) of chunks: what `arrowTableOf` takes. */
export function columnsOfChunks(chunks: readonly DuckDBDataChunk[], columnCount: number): DuckDBValue[][] {
  const out: DuckDBValue[][] = Array.from({ length: columnCount }, () => [])
  for (const chunk of chunks) {
    const cols = chunk.getColumns()
    for (let c = 0; c < columnCount; c++) for (const v of cols[c]!) out[c]!.push(v)
  }
  return out
}

/** Builds an Arrow table from result columns, keeping full precision (see the module comment). */
export function arrowTableOf(names: readonly string[], types: readonly DuckDBType[], columns: readonly (readonly DuckDBValue[])[], count: number): Table {
  const vectors: Record<string, Vector> = {}
  for (let c = 0; c < names.length; c++) vectors[names[c]!] = arrowVector(types[c]!, columns[c]!.slice(0, count))
  return new Table(vectors)
}

function validity(values: readonly DuckDBValue[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0
  const bitmap = new Uint8Array(Math.ceil(values.length / 8))
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null) nullCount++
    else bitmap[i >> 3]! |= 1 << (i & 7)
  }
  return { nullBitmap: nullCount === 0 ? undefined : bitmap, nullCount }
}

function fixed<T extends DataType>(type: T, values: readonly DuckDBValue[], data: ArrayLike<unknown> & { buffer: ArrayBufferLike }): Vector<T> {
  const { nullBitmap, nullCount } = validity(values)
  return makeVector(makeData({ type, length: values.length, nullCount, nullBitmap, data } as never)) as Vector<T>
}

function arrowType(type: DuckDBType): DataType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new Bool()
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return new Int32()
    case DuckDBTypeId.BIGINT:
      return new Int64()
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
      return new Uint64()
    case DuckDBTypeId.FLOAT:
      return new Float32()
    case DuckDBTypeId.DOUBLE:
      return new Float64()
    case DuckDBTypeId.DECIMAL: {
      const t = type as unknown as { width: number; scale: number }
      return new Decimal(t.scale, t.width, 128)
    }
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new TimestampMicrosecond('UTC')
    case DuckDBTypeId.TIMESTAMP:
      return new TimestampMicrosecond()
    case DuckDBTypeId.DATE:
      return new DateDay()
    case DuckDBTypeId.LIST:
      return new List(new Field('item', arrowType((type as unknown as { valueType: DuckDBType }).valueType), true))
    default:
      return new Utf8()
  }
}

function arrowVector(type: DuckDBType, values: readonly DuckDBValue[]): Vector {
  const t = arrowType(type)
  const n = values.length
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT: {
      const data = t instanceof Int64 ? new BigInt64Array(n) : new BigUint64Array(n)
      for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = BigInt(values[i] as bigint | number)
      return fixed(t, values, data)
    }
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT: {
      const data = new Int32Array(n)
      for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = values[i] as number
      return fixed(t, values, data)
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE: {
      const data = type.typeId === DuckDBTypeId.FLOAT ? new Float32Array(n) : new Float64Array(n)
      for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = values[i] as number
      return fixed(t, values, data)
    }
    case DuckDBTypeId.DECIMAL: {
      // Decimal128: the unscaled value as a 128-bit little-endian two's complement integer.
      const data = new BigUint64Array(2 * n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (v === null) continue
        const unscaled = BigInt.asUintN(128, (v as DuckDBDecimalValue).value)
        data[2 * i] = unscaled & 0xffff_ffff_ffff_ffffn
        data[2 * i + 1] = unscaled >> 64n
      }
      return fixed(t, values, new Uint32Array(data.buffer))
    }
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP: {
      const data = new BigInt64Array(n)
      for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = (values[i] as unknown as { micros: bigint }).micros
      return fixed(t, values, data)
    }
    case DuckDBTypeId.DATE: {
      const data = new Int32Array(n)
      for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = (values[i] as unknown as { days: number }).days
      return fixed(t, values, data)
    }
    case DuckDBTypeId.BOOLEAN:
      return vectorFromArray(values.map((v) => (v === null ? null : Boolean(v))), t as Bool)
    case DuckDBTypeId.LIST: {
      const element = (type as unknown as { valueType: DuckDBType }).valueType
      const js = values.map((v) => (v === null ? null : (v as DuckDBListValue).items.map((x) => exactValueConverter(x, element, exactValueConverter))))
      return vectorFromArray(js, t as List)
    }
    default:
      return vectorFromArray(values.map((v) => (v === null ? null : typeof v === 'string' ? v : String(v))), new Utf8())
  }
}
