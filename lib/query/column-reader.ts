import duckdb from '@duckdb/node-bindings'
import { DuckDBTypeId, type DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api'
import { Timestamp } from '../market/timestamp'

/**
 * Row values of the common column types read straight from a result chunk's memory (the DuckDB
 * C API's vector data and validity mask, through @duckdb/node-bindings), without DuckDB's value
 * object per cell. For 10,000 rows of a trade's seven columns, those objects (a BigInt and a
 * validity BigInt per cell, a TextDecoder call per string) and their garbage took 11 ms of a
 * 25 ms query (2026-12-05, bench:peers' one-symbol hour). Values are the same as the generic
 * path's: exact decimal strings, bigint BIGINT, Timestamps with their µs, strings.
 *
 * `readColumn` returns undefined for a type it does not read; the caller then uses the generic
 * path. Decimals and integers beyond 2^53 take the exact BigInt route.
 */

const two32 = 4_294_967_296
/** |high 32-bit word| below this: the 64-bit value is a safe integer as high × 2^32 + low. */
const safeHigh = 2_097_152

/** One vector's data (as bytes and 32-bit words) and its validity mask (null: no NULLs). */
interface VectorMemory {
  readonly words: Int32Array
  readonly bytes: Uint8Array
  readonly validity: Uint8Array | null
}

function vectorMemory(chunk: DuckDBDataChunk, column: number, rows: number, bytesPerRow: number): VectorMemory {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column)
  const bytes = duckdb.vector_get_data(vector, rows * bytesPerRow)
  const validity = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8)
  return { words: new Int32Array(bytes.buffer, bytes.byteOffset, (rows * bytesPerRow) >> 2), bytes, validity: validity ?? null }
}

const isValid = (validity: Uint8Array | null, i: number): boolean => validity === null || ((validity[i >> 3]! >> (i & 7)) & 1) === 1

/** The signed 64-bit integer at word `w` (little-endian), as a number when it is safe, else undefined. */
function safeInt64(words: Int32Array, w: number): number | undefined {
  const high = words[w + 1]!
  if (high >= safeHigh || high < -safeHigh) return undefined
  return high * two32 + (words[w]! >>> 0)
}

function bigInt64(words: Int32Array, w: number): bigint {
  return (BigInt(words[w + 1]!) << 32n) | BigInt(words[w]! >>> 0)
}

function bigInt128(words: Int32Array, w: number): bigint {
  return (bigInt64(words, w + 2) << 64n) | (BigInt(words[w + 1]! >>> 0) << 32n) | BigInt(words[w]! >>> 0)
}

/**
 * 10^k for every scale DuckDB allows (0–38). Beyond 10^22 a double is not exact, but only where
 * the unit exceeds any safe `scaled` (2^53 < 10^16): the whole part is then 0 and the fraction
 * `scaled` itself, whatever the unit's rounding.
 */
const powersOfTen = Array.from({ length: 39 }, (_, k) => 10 ** k)

/** An exact decimal's text from its scaled integer held as a safe number (|scaled| < 2^53), at any scale 0–38. */
export function decimalTextOfNumber(scaled: number, scale: number): string {
  if (scale === 0) return String(scaled)
  const unit = powersOfTen[scale]!
  const negative = scaled < 0
  const magnitude = negative ? -scaled : scaled
  const fraction = magnitude % unit
  const whole = (magnitude - fraction) / unit
  return `${negative ? '-' : ''}${whole}.${String(fraction).padStart(scale, '0')}`
}

/** An exact decimal's text from its scaled integer: one bigint-to-string, no division. */
export function decimalText(scaled: bigint, scale: number): string {
  if (scale === 0) return scaled.toString()
  const negative = scaled < 0n
  let digits = (negative ? -scaled : scaled).toString()
  if (digits.length <= scale) digits = digits.padStart(scale + 1, '0')
  return `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
}

function readDecimal(m: VectorMemory, rows: number, width: number, scale: number, out: unknown[]): void {
  const { words, validity } = m
  // int16 (width ≤ 4) or int32 (≤ 9) storage: one view for the column.
  const small = width <= 4 ? new Int16Array(m.bytes.buffer, m.bytes.byteOffset, rows) : width <= 9 ? words : undefined
  for (let i = 0; i < rows; i++) {
    if (!isValid(validity, i)) {
      out.push(null)
      continue
    }
    if (small) {
      out.push(decimalTextOfNumber(small[i]!, scale))
    } else if (width <= 18) {
      const n = safeInt64(words, 2 * i)
      out.push(n === undefined ? decimalText(bigInt64(words, 2 * i), scale) : decimalTextOfNumber(n, scale))
    } else {
      const w = 4 * i
      // A 128-bit value whose top 64 bits are only sign extension, and whose low 64 are safe.
      const high64 = words[w + 3]!
      const n = (high64 === 0 && words[w + 2] === 0 && words[w + 1]! >= 0) || (high64 === -1 && words[w + 2] === -1 && words[w + 1]! < 0) ? safeInt64(words, w) : undefined
      out.push(n === undefined ? decimalText(bigInt128(words, w), scale) : decimalTextOfNumber(n, scale))
    }
  }
}

function readInt64s(m: VectorMemory, rows: number, asTimestamp: boolean, out: unknown[]): void {
  const values = new BigInt64Array(m.bytes.buffer, m.bytes.byteOffset, rows)
  for (let i = 0; i < rows; i++) {
    if (!isValid(m.validity, i)) out.push(null)
    else out.push(asTimestamp ? new Timestamp(values[i]!) : values[i]!)
  }
}

function readNumbers(m: VectorMemory, rows: number, kind: 'int32' | 'float64', out: unknown[]): void {
  const values = kind === 'int32' ? m.words : new Float64Array(m.bytes.buffer, m.bytes.byteOffset, rows)
  for (let i = 0; i < rows; i++) out.push(isValid(m.validity, i) ? values[i]! : null)
}

/**
 * Strings: a string of up to 12 bytes is stored inline in its 16-byte slot, so a small cache
 * keyed by those 16 bytes returns the same JS string for a repeated symbol, side or source
 * without decoding it again. Longer strings are decoded from DuckDB's heap.
 */
function readStrings(m: VectorMemory, rows: number, out: unknown[]): void {
  const { words, bytes, validity } = m
  const cacheSize = 64
  const keys = new Int32Array(cacheSize * 4)
  const values: Array<string | undefined> = new Array(cacheSize)
  for (let i = 0; i < rows; i++) {
    if (!isValid(validity, i)) {
      out.push(null)
      continue
    }
    const w = 4 * i
    const length = words[w]!
    if (length > 12) {
      out.push(decoder.decode(duckdb.get_data_from_pointer(bytes.buffer as ArrayBuffer, bytes.byteOffset + 16 * i + 8, length)))
      continue
    }
    const w1 = words[w + 1]!
    const w2 = words[w + 2]!
    const w3 = words[w + 3]!
    const slot = ((length * 31 + w1) ^ (w2 * 17) ^ (w3 * 13)) & (cacheSize - 1)
    const k = 4 * slot
    const cached = values[slot]
    if (cached !== undefined && keys[k] === length && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) {
      out.push(cached)
      continue
    }
    const text = decoder.decode(bytes.subarray(16 * i + 4, 16 * i + 4 + length))
    keys[k] = length
    keys[k + 1] = w1
    keys[k + 2] = w2
    keys[k + 3] = w3
    values[slot] = text
    out.push(text)
  }
}

const decoder = new TextDecoder()

/**
 * Appends the first `rows` values of one column of `chunk` to `out`, or returns false (and
 * appends nothing) when its type is not one read here.
 */
export function readColumn(chunk: DuckDBDataChunk, column: number, type: DuckDBType, rows: number, out: unknown[]): boolean {
  if (rows === 0) return true
  switch (type.typeId) {
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as unknown as { width: number; scale: number }
      const size = width <= 4 ? 2 : width <= 9 ? 4 : width <= 18 ? 8 : 16
      readDecimal(vectorMemory(chunk, column, rows, size), rows, width, scale, out)
      return true
    }
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      readInt64s(vectorMemory(chunk, column, rows, 8), rows, true, out)
      return true
    case DuckDBTypeId.BIGINT:
      readInt64s(vectorMemory(chunk, column, rows, 8), rows, false, out)
      return true
    case DuckDBTypeId.INTEGER:
      readNumbers(vectorMemory(chunk, column, rows, 4), rows, 'int32', out)
      return true
    case DuckDBTypeId.DOUBLE:
      readNumbers(vectorMemory(chunk, column, rows, 8), rows, 'float64', out)
      return true
    case DuckDBTypeId.VARCHAR:
      readStrings(vectorMemory(chunk, column, rows, 16), rows, out)
      return true
    default:
      return false
  }
}
