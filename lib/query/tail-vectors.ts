import * as os from 'node:os'
import duckdb from '@duckdb/node-bindings'
import type { DuckDBVector } from '@duckdb/node-api'

/**
 * Writing the tail's exact integers (numbers where they are safe integers, bigints beyond) into
 * DuckDB's 64- and 128-bit vectors (BIGINT, DECIMAL up to 38 digits) without a bigint per value.
 * The vector's own setItem takes only bigints and checks each with BigInt.asIntN (a 128-bit one
 * splits it with three more bigint operations): per record the tail wrote 6-8 such values, most
 * of its allocation. A safe integer is written here as its two's complement words straight into
 * the vector's data, little-endian as DuckDB lays it out on this machine; a bigint or a null goes
 * through setItem as before. Where the vector's data is not reachable (another @duckdb/node-api
 * layout, a big-endian machine) everything goes through setItem. Short strings are written the
 * same way (writeStrings).
 */

/** The bytes of one value: 8 (BIGINT, DECIMAL 10-18 digits) or 16 (DECIMAL 19-38 digits). */
export type IntegerWidth = 8 | 16

const littleEndian = os.endianness() === 'LE'
const twoTo32 = 4294967296

/** The data of an int64/int128 vector of @duckdb/node-api 1.5 (`items` of BIGINT, `dataView` of DECIMAL). */
function dataOf(vector: DuckDBVector, width: IntegerWidth, n: number): DataView | undefined {
  if (!littleEndian) return undefined
  const v = vector as unknown as { items?: unknown; dataView?: unknown }
  let view: DataView | undefined
  if (v.dataView instanceof DataView) view = v.dataView
  else if (v.items instanceof BigInt64Array) view = new DataView(v.items.buffer, v.items.byteOffset, v.items.byteLength)
  return view && view.byteLength >= n * width ? view : undefined
}

/**
 * Writes `values[0..n)` (safe-integer numbers, bigints, or null) into `vector`; `box(v)` gives
 * what the vector's setItem takes for a bigint (the bigint itself, or a decimal value). Without a
 * width (a narrower vector, DECIMAL up to 9 digits) every value goes through setItem. Returns
 * whether the fast path was taken. The caller flushes the vector.
 */
export function writeExactIntegers(vector: DuckDBVector, values: readonly unknown[], n: number, width: IntegerWidth | undefined, box: (v: bigint) => unknown): boolean {
  const view = width === undefined ? undefined : dataOf(vector, width, n)
  const set = vector.setItem.bind(vector) as (i: number, v: unknown) => void
  if (!view || width === undefined) {
    for (let i = 0; i < n; i++) {
      const v = values[i]
      set(i, v === null || v === undefined ? null : box(typeof v === 'number' ? BigInt(v) : (v as bigint)))
    }
    return false
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (typeof v === 'number') {
      const off = i * width
      const high = Math.floor(v / twoTo32)
      view.setUint32(off, v >>> 0, true)
      view.setInt32(off + 4, high, true)
      if (width === 16) {
        const sign = high < 0 ? -1 : 0
        view.setInt32(off + 8, sign, true)
        view.setInt32(off + 12, sign, true)
      }
    } else set(i, v === null || v === undefined ? null : box(v as bigint))
  }
  return true
}


/** What writeStrings needs of a column's dictionary: a code's value, and its 16-byte inlined form (null when too long). */
export interface CodedStrings {
  value(code: number): string
  inline(code: number): Uint8Array | null
}

/**
 * Writes the strings of `codes[0..n)` (codes of `dictionary`, or null) into a VARCHAR vector. A
 * string DuckDB keeps inline (up to 12 bytes: every symbol, venue, currency and side) is laid out
 * as its 16 bytes in a buffer copied into the vector's data at once (through
 * @duckdb/node-bindings, as column-reader.ts reads vectors), where the vector's setItem made a
 * call into DuckDB per value (131 against 27 ns a value); a longer one or a null goes through
 * setItem, which the caller's flush applies after the copy. Where the vector's handle is not
 * reachable, everything goes through setItem. Returns whether the copy was made.
 */
export function writeStrings(vector: DuckDBVector, codes: readonly unknown[], n: number, dictionary: CodedStrings): boolean {
  const raw = (vector as unknown as { vector?: unknown }).vector
  const data = littleEndian && raw !== undefined && typeof duckdb.copy_data_to_vector === 'function' ? new Uint8Array(n * 16) : undefined
  const set = vector.setItem.bind(vector) as (i: number, v: unknown) => void
  for (let i = 0; i < n; i++) {
    const code = codes[i]
    if (code === null || code === undefined) {
      set(i, null)
      continue
    }
    const inline = data ? dictionary.inline(code as number) : null
    if (inline) data!.set(inline, i * 16)
    else set(i, dictionary.value(code as number))
  }
  if (data) duckdb.copy_data_to_vector(raw as duckdb.Vector, 0, data.buffer, 0, data.byteLength)
  return data !== undefined
}
