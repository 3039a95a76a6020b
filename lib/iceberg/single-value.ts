import { decodeTwosComplement, encodeTwosComplement } from '../avro/twos-complement'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { PartitionValue, PrimitiveType } from './spec-types'

/**
 * Iceberg binary single-value serialization (spec Appendix D,
 * https://iceberg.apache.org/spec/#binary-single-value-serialization): the bytes of manifest
 * `lower_bounds`/`upper_bounds` and of manifest-list partition summaries. Pure: no IO.
 */

/**
 * A non-null value of an Iceberg primitive type, in the conventions of `PartitionValue`:
 * `int`/`date` → number; `long`, `time`, `timestamp*` → bigint (µs, or ns for `_ns`);
 * `float`/`double` → number; `decimal` → bigint unscaled; `string` → string; `boolean` →
 * boolean; `binary`/`fixed` → Uint8Array; `uuid` → canonical lowercase string.
 */
export type SingleValue = Exclude<PartitionValue, null>

/** Type kinds with no parameters. */
export type SimpleTypeKind =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | 'binary'

/** A primitive type name parsed once: `'decimal(9, 2)'` → `{ kind: 'decimal', precision: 9, scale: 2 }`. */
export type ParsedPrimitiveType =
  | { readonly kind: SimpleTypeKind }
  | { readonly kind: 'fixed'; readonly length: number }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }

/** A type as the spec writes it (`'long'`, `'decimal(9,2)'`) or as `parsePrimitiveType` returns it. */
export type PrimitiveTypeLike = PrimitiveType | ParsedPrimitiveType

const simpleKinds: ReadonlySet<string> = new Set<SimpleTypeKind>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary',
])

/** Types the spec has but single values here do not: nested, semi-structured and geospatial. */
const unsupportedKinds = /^(unknown|variant|geometry|geography|struct|list|map)\b/

/**
 * Parses a primitive type name as table metadata writes it (spec Appendix C: `"fixed[16]"`,
 * `"decimal(9,2)"` or `"decimal(9, 2)"`). Throws CONFIG_INVALID for a type it does not know.
 */
export function parsePrimitiveType(type: PrimitiveType): ParsedPrimitiveType {
  if (typeof type !== 'string') {
    throw configInvalid(`expected an Iceberg primitive type name such as "long" or "decimal(9,2)", got ${show(type)}: nested types have no single-value form`)
  }
  if (simpleKinds.has(type)) return { kind: type as SimpleTypeKind }
  const decimal = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type)
  if (decimal) {
    const precision = Number(decimal[1])
    const scale = Number(decimal[2])
    if (precision < 1 || precision > 38) {
      throw configInvalid(`${show(type)} has precision ${precision}; Iceberg decimals have precision 1 to 38 (spec: Primitive Types)`)
    }
    return { kind: 'decimal', precision, scale }
  }
  const fixed = /^fixed\[\s*(\d+)\s*\]$/.exec(type)
  if (fixed) return { kind: 'fixed', length: Number(fixed[1]) }
  if (unsupportedKinds.test(type)) {
    throw configInvalid(`Iceberg type ${show(type)} has no binary single value this workbench reads; bounds and partition values are supported for primitive types only`)
  }
  throw configInvalid(
    `unknown Iceberg primitive type ${show(type)}: expected boolean, int, long, float, double, date, time, timestamp, timestamptz, timestamp_ns, timestamptz_ns, string, uuid, binary, fixed[L] or decimal(P,S)`,
  )
}

/** `parsePrimitiveType` for a name; a parsed type passes through. */
export function resolvePrimitiveType(type: PrimitiveTypeLike): ParsedPrimitiveType {
  return typeof type === 'string' ? parsePrimitiveType(type) : type
}

/** The spec's name for a parsed type: `{ kind: 'decimal', precision: 9, scale: 2 }` → `'decimal(9, 2)'`. */
export function formatPrimitiveType(type: PrimitiveTypeLike): PrimitiveType {
  const t = resolvePrimitiveType(type)
  if (t.kind === 'decimal') return `decimal(${t.precision}, ${t.scale})`
  if (t.kind === 'fixed') return `fixed[${t.length}]`
  return t.kind
}

/**
 * Checks a value against its type and returns it in the canonical JS convention (see
 * `SingleValue`): a safe-integer number is accepted for a long and becomes a bigint, a uuid
 * string becomes lowercase, a float is rounded to single precision. Throws RECORD_INVALID for a value outside its type.
 */
export function canonicalValue(type: PrimitiveTypeLike, value: SingleValue): SingleValue {
  const t = resolvePrimitiveType(type)
  switch (t.kind) {
    case 'boolean':
      return asBoolean(value, t)
    case 'int':
    case 'date':
      return asInt32(value, t)
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return asInt64(value, t)
    case 'float':
      return Math.fround(asNumber(value, t)) // what 4 bytes hold, and what Java hashes
    case 'double':
      return asNumber(value, t)
    case 'string':
      return asString(value, t)
    case 'uuid':
      return formatUuid(asUuidBytes(value, t))
    case 'binary':
    case 'fixed':
      return asBytes(value, t)
    case 'decimal':
      return asUnscaled(value, t)
  }
  return unreachable(t)
}

/**
 * Encodes one value in the binary single-value serialization of its type (spec Appendix D).
 * Throws RECORD_INVALID when the value does not fit the type.
 */
export function encodeSingleValue(type: PrimitiveTypeLike, value: SingleValue): Uint8Array {
  const t = resolvePrimitiveType(type)
  switch (t.kind) {
    case 'boolean':
      return encodeBoolean(asBoolean(value, t))
    case 'int':
    case 'date':
      return encodeInt(asInt32(value, t))
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return encodeLong(asInt64(value, t))
    case 'float':
      return encodeFloat(asNumber(value, t))
    case 'double':
      return encodeDouble(asNumber(value, t))
    case 'string':
      return encodeString(asString(value, t))
    case 'uuid':
      return asUuidBytes(value, t)
    case 'binary':
    case 'fixed':
      return asBytes(value, t).slice()
    case 'decimal':
      return encodeDecimal(asUnscaled(value, t))
  }
  return unreachable(t)
}

/**
 * Decodes a binary single value (spec Appendix D) into its canonical JS value. Bounds written
 * before a type promotion keep their old width, and are read as the spec's "Schema Evolution"
 * table says: 4 bytes for a `long` are an int, for a `double` a float, for a `timestamp` or
 * `timestamp_ns` a date (midnight). Throws RECORD_INVALID for bytes that do not fit the type.
 */
export function decodeSingleValue(type: PrimitiveTypeLike, bytes: Uint8Array): SingleValue {
  const t = resolvePrimitiveType(type)
  if (!(bytes instanceof Uint8Array)) throw recordInvalid(`expected the bytes of a ${formatPrimitiveType(t)} single value, got ${show(bytes)}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (t.kind) {
    case 'boolean':
      expectLength(t, bytes, 1)
      return bytes[0] !== 0
    case 'int':
    case 'date':
      expectLength(t, bytes, 4)
      return view.getInt32(0, true)
    case 'long':
      if (bytes.length === 4) return BigInt(view.getInt32(0, true)) // written while the column was an int
      expectLength(t, bytes, 8)
      return view.getBigInt64(0, true)
    case 'time':
    case 'timestamptz':
    case 'timestamptz_ns':
      expectLength(t, bytes, 8)
      return view.getBigInt64(0, true)
    case 'timestamp':
    case 'timestamp_ns':
      if (bytes.length === 4) return BigInt(view.getInt32(0, true)) * (t.kind === 'timestamp' ? microsPerDay : nanosPerDay) // a date
      expectLength(t, bytes, 8)
      return view.getBigInt64(0, true)
    case 'float':
      expectLength(t, bytes, 4)
      return view.getFloat32(0, true)
    case 'double':
      if (bytes.length === 4) return view.getFloat32(0, true) // written while the column was a float
      expectLength(t, bytes, 8)
      return view.getFloat64(0, true)
    case 'string':
      try {
        return utf8Decoder.decode(bytes)
      } catch (err) {
        throw recordInvalid(`a string single value must be UTF-8 (spec: Primitive Types), got ${bytes.length} bytes that are not: the bound is corrupt or belongs to another column`, err)
      }
    case 'uuid':
      expectLength(t, bytes, 16)
      return formatUuid(bytes)
    case 'fixed':
      expectLength(t, bytes, t.length)
      return bytes.slice()
    case 'binary':
      return bytes.slice()
    case 'decimal': {
      if (bytes.length === 0) throw recordInvalid(`an empty byte string is not a ${formatPrimitiveType(t)} value: the minimal two's complement has at least one byte`)
      return checkPrecision(decodeTwosComplement(bytes), t)
    }
  }
  return unreachable(t)
}

/**
 * Compares two values of one type in Iceberg order: numbers numerically (floats as Java's
 * `Float.compare`: -0 before 0, NaN after everything), strings by Unicode code point (the
 * order of their UTF-8 bytes, not JS's UTF-16 order), binary, fixed and uuid by unsigned bytes,
 * false before true. Returns a negative number, 0 or a positive number.
 *
 * UUIDs follow RFC 9562 and Parquet (unsigned bytes); Iceberg Java before apache/iceberg#14500
 * compared them as signed longs, so a range on a uuid column is not a safe pruning key.
 */
export function compareValues(type: PrimitiveTypeLike, a: SingleValue, b: SingleValue): number {
  const t = resolvePrimitiveType(type)
  switch (t.kind) {
    case 'boolean':
      return Number(asBoolean(a, t)) - Number(asBoolean(b, t))
    case 'int':
    case 'date':
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'decimal':
      return compareIntegers(asInteger(a, t), asInteger(b, t))
    case 'float':
    case 'double':
      return compareFloats(asNumber(a, t), asNumber(b, t))
    case 'string':
      return compareCodePoints(asString(a, t), asString(b, t))
    case 'uuid':
      return compareBytes(asUuidBytes(a, t), asUuidBytes(b, t))
    case 'binary':
    case 'fixed':
      return compareBytes(asBytes(a, t), asBytes(b, t))
  }
  return unreachable(t)
}

// ---------------------------------------------------------------------------------------------
// Encoders, one per layout (https://iceberg.apache.org/spec/#binary-single-value-serialization)
// ---------------------------------------------------------------------------------------------

/**
 * `boolean`: one byte, `0x00` for false and `0x01` for true (readers take any non-zero byte as true).
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeBoolean(value: boolean): Uint8Array {
  return Uint8Array.of(value ? 1 : 0)
}

/**
 * `int`, `date` (days from 1970-01-01): 4-byte little-endian two's complement. `1` → `01 00 00 00`.
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeInt(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setInt32(0, value, true)
  return out
}

/**
 * `long`, `time` (µs from midnight), `timestamp`/`timestamptz` (µs from 1970-01-01 00:00 UTC),
 * `timestamp_ns`/`timestamptz_ns` (ns): 8-byte little-endian two's complement.
 * `1n` → `01 00 00 00 00 00 00 00`.
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeLong(value: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigInt64(0, value, true)
  return out
}

/**
 * `float`: 4-byte little-endian IEEE 754 single precision (the value is rounded to a float).
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeFloat(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setFloat32(0, value, true)
  return out
}

/**
 * `double`: 8-byte little-endian IEEE 754 double precision.
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeDouble(value: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setFloat64(0, value, true)
  return out
}

/**
 * `string`: the UTF-8 bytes, no length prefix and no terminator. `'abc'` → `61 62 63`.
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeString(value: string): Uint8Array {
  return utf8Encoder.encode(value)
}

/**
 * `uuid`: the 16 bytes big-endian, in the order of the canonical string's hex digits
 * (spec Appendix B note 4): `f79c3e09-677c-…` → `f7 9c 3e 09 67 7c …`.
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeUuid(value: string): Uint8Array {
  const hex = value.replace(/-/g, '')
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * `decimal(P, S)`: the unscaled value (value × 10^S) as big-endian two's complement in the
 * fewest bytes that hold it (zero is one byte, as Java's `BigInteger.toByteArray`). The scale is
 * part of the type, not the bytes: 14.20 in `decimal(9,2)` is 1420 → `05 8c`; -1 → `ff`.
 * @see https://iceberg.apache.org/spec/#binary-single-value-serialization
 */
function encodeDecimal(unscaled: bigint): Uint8Array {
  return encodeTwosComplement(unscaled)
}

// ---------------------------------------------------------------------------------------------
// Value checks: each returns the canonical JS value or throws RECORD_INVALID
// ---------------------------------------------------------------------------------------------

const int32Min = -(2 ** 31)
const int32Max = 2 ** 31 - 1
const int64Min = -(1n << 63n)
const int64Max = (1n << 63n) - 1n
const microsPerDay = 86_400_000_000n
const nanosPerDay = 86_400_000_000_000n
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

function asBoolean(value: unknown, t: ParsedPrimitiveType): boolean {
  if (typeof value !== 'boolean') throw mismatch(t, value, 'a boolean')
  return value
}

function asInt32(value: unknown, t: ParsedPrimitiveType): number {
  if (typeof value === 'bigint' && value >= BigInt(int32Min) && value <= BigInt(int32Max)) return Number(value)
  if (typeof value !== 'number' || !Number.isInteger(value) || value < int32Min || value > int32Max) {
    throw mismatch(t, value, `an integer number from ${int32Min} to ${int32Max}${t.kind === 'date' ? ' (days from 1970-01-01)' : ''}`)
  }
  return value
}

function asInt64(value: unknown, t: ParsedPrimitiveType): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value !== 'bigint' || value < int64Min || value > int64Max) {
    throw mismatch(t, value, 'a bigint in the signed 64-bit range (a number only when it is a safe integer)')
  }
  return value
}

/** An integral value of any integral type (int, long, temporal, decimal unscaled), for comparisons. */
function asInteger(value: unknown, t: ParsedPrimitiveType): number | bigint {
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return value
  throw mismatch(t, value, 'an integer (number or bigint)')
}

function asNumber(value: unknown, t: ParsedPrimitiveType): number {
  if (typeof value !== 'number') throw mismatch(t, value, 'a number')
  return value
}

function asString(value: unknown, t: ParsedPrimitiveType): string {
  if (typeof value !== 'string') throw mismatch(t, value, 'a string')
  if (loneSurrogate.test(value)) throw mismatch(t, value, 'well-formed text (this string has a lone UTF-16 surrogate, which UTF-8 cannot hold)')
  return value
}

function asUuidBytes(value: unknown, t: ParsedPrimitiveType): Uint8Array {
  if (typeof value === 'string' && uuidPattern.test(value)) return encodeUuid(value)
  if (value instanceof Uint8Array && value.length === 16) return value.slice()
  throw mismatch(t, value, 'a uuid string such as "f79c3e09-677c-4bbd-a479-3f349cb785e7" (or its 16 bytes)')
}

function asBytes(value: unknown, t: ParsedPrimitiveType): Uint8Array {
  if (!(value instanceof Uint8Array)) throw mismatch(t, value, 'a Uint8Array')
  if (t.kind === 'fixed' && value.length !== t.length) throw mismatch(t, value, `exactly ${t.length} bytes (this one has ${value.length})`)
  return value
}

function asUnscaled(value: unknown, t: ParsedPrimitiveType): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return checkPrecision(BigInt(value), t)
  if (typeof value !== 'bigint') throw mismatch(t, value, 'the unscaled value as a bigint (14.20 in decimal(9,2) is 1420n)')
  return checkPrecision(value, t)
}

function checkPrecision(unscaled: bigint, t: ParsedPrimitiveType): bigint {
  if (t.kind !== 'decimal') return unscaled
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length
  if (unscaled !== 0n && digits > t.precision) {
    throw recordInvalid(`unscaled ${unscaled} has ${digits} digits; ${formatPrimitiveType(t)} holds at most ${t.precision}: the value or the column type is wrong`)
  }
  return unscaled
}

function expectLength(t: ParsedPrimitiveType, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw recordInvalid(`a ${formatPrimitiveType(t)} single value has ${length} bytes, got ${bytes.length}: the bound belongs to another column or type`)
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function formatUuid(bytes: Uint8Array): string {
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function compareIntegers(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Java's `Double.compare`: -0 < 0, NaN equal to itself and above +Infinity. */
function compareFloats(a: number, b: number): number {
  if (a < b) return -1
  if (a > b) return 1
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b))
  if (a === 0 && b === 0) return Number(Object.is(b, -0)) - Number(Object.is(a, -0))
  return 0
}

/**
 * Code-point order, which is UTF-8 byte order. JS compares UTF-16 code units, which puts a
 * surrogate pair (U+10000 and up) before U+E000–U+FFFF; shifting the two ranges fixes that.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) < codePointRank(y) ? -1 : 1
  }
  return Math.sign(a.length - b.length)
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  }
  return Math.sign(a.length - b.length)
}

function unreachable(t: never): never {
  throw configInvalid(`unsupported Iceberg type ${show(t)}`)
}

function mismatch(t: ParsedPrimitiveType, value: unknown, expected: string): WorkbenchError {
  return recordInvalid(`a ${formatPrimitiveType(t)} value must be ${expected}, got ${typeof value} ${show(value)}`)
}

function recordInvalid(message: string, cause?: unknown): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, message, false, cause === undefined ? undefined : { cause })
}

function configInvalid(message: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.ConfigInvalid, message)
}

/** A short printable form of any value, for error messages. */
function show(value: unknown): string {
  let text: string
  if (typeof value === 'string') text = JSON.stringify(value)
  else if (typeof value === 'bigint') text = `${value}n`
  else if (value instanceof Uint8Array) text = `<${Array.from(value.subarray(0, 24), (b) => b.toString(16).padStart(2, '0')).join(' ')}${value.length > 24 ? ' …' : ''}>`
  else if (typeof value === 'object' && value !== null) text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value)
  else text = String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
