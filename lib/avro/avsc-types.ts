import * as avro from 'avsc'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { DecimalType } from './decimal'

/**
 * How the workbench maps Avro types onto JS values with avsc: decimals as exact strings
 * (`DecimalType`), every long as bigint, arrays and maps that refuse impossible block counts.
 * Pure: avsc is the only library here.
 */

/** An Avro schema as JSON: the committed `.avsc` text parsed, or the registry's schema text. */
export type AvroSchema = Readonly<Record<string, unknown>>

const int64Min = -(1n << 63n)
const int64Max = (1n << 63n) - 1n

/**
 * Avro long ↔ JS bigint over the whole int64 range (avsc's own long is a JS number and refuses
 * values beyond 2^53). Used for every long, timestamp-micros included.
 */
/** avsc packs the bytes `toBuffer` returns before it asks for the next long, so one scratch buffer serves every write. */
const longScratch = Buffer.alloc(8)
export const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    longScratch.writeBigInt64LE(n)
    return longScratch
  },
  // Schema defaults and avsc's random values arrive as JS numbers; only exact ones are taken.
  fromJSON: (value: unknown) => {
    if (typeof value === 'bigint') return value
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value)
    throw new WorkbenchError(ErrorCode.RecordInvalid, `expected an exact integer for an Avro long, got ${typeof value} ${String(value)}`)
  },
  // A number where that is exact (schema export, clone), else the bigint: JSON.stringify then fails loudly instead of rounding.
  toJSON: (n: bigint) => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= int64Min && n <= int64Max,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
})

/** The slice of avsc's internal reader state the bounded containers below use. */
interface Tap {
  readonly buf: Buffer
  pos: number
  readLong(): number
  skipLong(): void
  readString(): string
}
/** An avsc type or resolver: both read one value from a tap. */
interface ValueReader {
  _read(tap: Tap): unknown
}
interface ContainerResolver extends ValueReader {
  itemsType?: ValueReader
  valuesType?: ValueReader
}

const minBytesCache = new WeakMap<avro.Type, number>()

/** The fewest bytes one value of `type` takes in Avro binary (0 when a value can be empty). */
function minEncodedBytes(type: avro.Type, visiting = new Set<avro.Type>()): number {
  const cached = minBytesCache.get(type)
  if (cached !== undefined) return cached
  if (visiting.has(type)) return 0 // recursive schema: no bound
  visiting.add(type)
  let bytes: number
  if (type instanceof avro.types.LogicalType) bytes = minEncodedBytes(type.underlyingType, visiting)
  else if (type instanceof avro.types.RecordType) bytes = type.fields.reduce((sum, f) => sum + minEncodedBytes(f.type, visiting), 0)
  else if (type instanceof avro.types.FixedType) bytes = type.size
  else bytes = ({ null: 0, float: 4, double: 8 } as Record<string, number>)[type.typeName] ?? 1
  visiting.delete(type)
  minBytesCache.set(type, bytes)
  return bytes
}

/**
 * An Avro block count, refused when the bytes left cannot hold that many items. avsc trusts the
 * count, so a corrupt body or one read with the wrong writer schema (a count of 3.6 billion) runs
 * the worker out of memory instead of failing.
 */
function blockCount(tap: Tap, minItemBytes: number, what: string): number {
  let n = tap.readLong()
  if (n < 0) {
    n = -n
    tap.skipLong()
  }
  const left = tap.buf.length - tap.pos
  if (minItemBytes > 0 && n * minItemBytes > left) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} block claims ${n} items but only ${Math.max(0, left)} bytes are left: the body is corrupt or was written with another schema`)
  }
  return n
}

function readArray(tap: Tap, items: ValueReader, minItemBytes: number): unknown[] {
  const values: unknown[] = []
  for (let n = blockCount(tap, minItemBytes, 'array'); n; n = blockCount(tap, minItemBytes, 'array')) {
    while (n--) values.push(items._read(tap))
  }
  return values
}

function readMap(tap: Tap, values: ValueReader, minValueBytes: number): Record<string, unknown> {
  const map: Record<string, unknown> = {}
  for (let n = blockCount(tap, 1 + minValueBytes, 'map'); n; n = blockCount(tap, 1 + minValueBytes, 'map')) {
    while (n--) {
      const key = tap.readString()
      map[key] = values._read(tap)
    }
  }
  return map
}

/** avsc's array, with block counts checked against the bytes left (see `blockCount`). */
class BoundedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown[] {
    return readArray(tap, this.itemsType as unknown as ValueReader, minEncodedBytes(this.itemsType))
  }

  _update(resolver: ContainerResolver, writer: avro.Type, opts: object): void {
    if (!(writer instanceof avro.types.ArrayType)) return
    const items = this.itemsType.createResolver(writer.itemsType, opts) as unknown as ValueReader
    const minItemBytes = minEncodedBytes(writer.itemsType)
    resolver.itemsType = items
    resolver._read = (tap) => readArray(tap, items, minItemBytes)
  }
}

/** avsc's map, with block counts checked against the bytes left (see `blockCount`). */
class BoundedMapType extends avro.types.MapType {
  _read(tap: Tap): Record<string, unknown> {
    return readMap(tap, this.valuesType as ValueReader, minEncodedBytes(this.valuesType as avro.Type))
  }

  _update(resolver: ContainerResolver, writer: avro.Type, opts: object): void {
    if (!(writer instanceof avro.types.MapType)) return
    const values = (this.valuesType as avro.Type).createResolver(writer.valuesType as avro.Type, opts) as unknown as ValueReader
    const minValueBytes = minEncodedBytes(writer.valuesType as avro.Type)
    resolver.valuesType = values
    resolver._read = (tap) => readMap(tap, values, minValueBytes)
  }
}

const schemaType = (schema: unknown): unknown =>
  typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? (schema as { type?: unknown }).type : schema

/** Maps schemas to the workbench's avsc types: every long (timestamps too) to bigint, containers bounded. */
function typeHook(schema: unknown, opts: object): avro.Type | undefined {
  const type = schemaType(schema)
  if (type === 'long') return bigintLong
  if (typeof schema !== 'object' || schema === null) return undefined
  if (type === 'array') return new BoundedArrayType(schema as avro.schema.ArrayType, opts)
  if (type === 'map') return new BoundedMapType(schema as avro.schema.MapType, opts)
  return undefined
}

/**
 * An avsc type for `schema` with the workbench's mappings: decimals as exact strings, every long
 * (timestamp-micros included) as bigint, array and map block counts checked against the bytes
 * left. Throws SCHEMA_INCOMPATIBLE for text that is not a usable schema.
 */
export function createAvroType(schema: string | AvroSchema): avro.Type {
  try {
    const parsed: unknown = typeof schema === 'string' ? JSON.parse(schema) : schema
    return avro.Type.forSchema(parsed as avro.schema.AvroSchema, {
      logicalTypes: { decimal: DecimalType },
      assertLogicalTypes: true,
      typeHook,
    })
  } catch (err) {
    throw new WorkbenchError(ErrorCode.SchemaIncompatible, `not a usable Avro schema: ${errorMessage(err)}`, false, { cause: err })
  }
}
