import { ErrorCode, WorkbenchError } from '../errors/index'
import {
  canonicalValue,
  encodeSingleValue,
  formatPrimitiveType,
  resolvePrimitiveType,
  type ParsedPrimitiveType,
  type PrimitiveTypeLike,
  type SingleValue,
} from './single-value'
import type { PartitionValue, PrimitiveType, Transform } from './spec-types'

/**
 * Iceberg partition transforms (https://iceberg.apache.org/spec/#partition-transforms), their
 * 32-bit hash (spec Appendix B) and their inclusive projection of predicates for scan planning
 * (https://iceberg.apache.org/spec/#scan-planning). Pure: no IO.
 */

/** A transform name parsed once: `'bucket[16]'` → `{ kind: 'bucket', n: 16 }`. */
export type ParsedTransform =
  | { readonly kind: 'identity' | 'year' | 'month' | 'day' | 'hour' | 'void' }
  | { readonly kind: 'bucket'; readonly n: number }
  | { readonly kind: 'truncate'; readonly width: number }

/** A transform as table metadata writes it (`'bucket[16]'`) or as `parseTransform` returns it. */
export type TransformLike = Transform | ParsedTransform

/** A comparison a scan filters on: `column <op> literal`. */
export type PredicateOp = 'eq' | 'lt' | 'lte' | 'gt' | 'gte'

/** A predicate on a partition value, produced by `projectInclusive`. */
export interface PartitionPredicate {
  readonly op: PredicateOp
  readonly value: SingleValue
}

/**
 * Parses a transform as partition specs and sort orders write it (spec Appendix C):
 * `identity`, `bucket[N]`, `truncate[W]`, `year`, `month`, `day`, `hour`, `void`.
 * Throws CONFIG_INVALID for anything else.
 */
export function parseTransform(transform: Transform): ParsedTransform {
  const parsed = tryParseTransform(transform)
  if (parsed === undefined) {
    throw configInvalid(
      `unknown partition transform ${JSON.stringify(transform)}: expected identity, bucket[N], truncate[W], year, month, day, hour or void with N and W positive integers (spec: Partition Transforms)`,
    )
  }
  return parsed
}

/**
 * Murmur3 x86 32-bit of `bytes` with seed 0, as a signed 32-bit integer (what Guava's
 * `murmur3_32_fixed().hashBytes(...).asInt()` returns, and what Iceberg buckets on).
 * @see https://iceberg.apache.org/spec/#appendix-b-32-bit-hash-requirements
 */
export function murmur3Hash32(bytes: Uint8Array): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  const blocks = bytes.length >>> 2
  let h = 0
  for (let i = 0; i < blocks; i++) {
    const o = 4 * i
    let k = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)
    k = Math.imul(rotl32(Math.imul(k, c1), 15), c2)
    h = rotl32(h ^ k, 13)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = 4 * blocks
  const rest = bytes.length & 3
  if (rest > 0) {
    let k = 0
    if (rest >= 3) k ^= bytes[tail + 2]! << 16
    if (rest >= 2) k ^= bytes[tail + 1]! << 8
    k ^= bytes[tail]!
    h ^= Math.imul(rotl32(Math.imul(k, c1), 15), c2)
  }
  h ^= bytes.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

/**
 * The 32-bit hash of one value (spec Appendix B): int, long, date, time and timestamps hash as
 * the 8-byte little-endian long (nanosecond timestamps first floored to microseconds), decimals
 * as the minimal big-endian two's complement of the unscaled value, strings as UTF-8, uuids as
 * their 16 big-endian bytes, fixed and binary as themselves. Booleans, floats and doubles, not
 * valid bucket sources, hash as the appendix's second table says.
 * @see https://iceberg.apache.org/spec/#appendix-b-32-bit-hash-requirements
 */
export function bucketHash(type: PrimitiveTypeLike, value: SingleValue): number {
  const t = resolvePrimitiveType(type)
  const v = canonicalValue(t, value)
  switch (t.kind) {
    case 'int':
    case 'date':
      return hashLong(BigInt(v as number))
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return hashLong(v as bigint)
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return hashLong(floorDiv(v as bigint, 1000n))
    case 'decimal':
    case 'string':
    case 'uuid':
    case 'binary':
    case 'fixed':
      return murmur3Hash32(encodeSingleValue(t, v))
    case 'boolean':
      return hashLong(v ? 1n : 0n)
    case 'float': // canonicalValue rounded it to single precision: hashed as Java's (double) floatValue
    case 'double':
      return hashDouble(v as number)
  }
  return unreachable(t)
}

/**
 * Applies a partition transform to one source value (spec: Partition Transforms). `null` in,
 * `null` out; `void` always gives `null`. Results follow `PartitionValue`: bucket, year, month,
 * day and hour give an int (number; years/months/days/hours from 1970, floored for earlier
 * times), identity and truncate a value of the source type. Throws CONFIG_INVALID when the
 * transform cannot apply to the source type, RECORD_INVALID when the value is not of it.
 */
export function applyTransform(transform: TransformLike, sourceType: PrimitiveTypeLike, value: SingleValue | null | undefined): PartitionValue {
  const tr = resolveTransform(transform)
  const t = resolvePrimitiveType(sourceType)
  checkApplicable(tr, t)
  if (value === null || value === undefined || tr.kind === 'void') return null
  return applyToCanonical(tr, t, canonicalValue(t, value))
}

/**
 * The type of a transform's result, as a partition field of a manifest declares it:
 * bucket, year, month and hour → `int`; identity, truncate and void → the source type; day →
 * `date`. The spec's table says `int` for day, but Iceberg Java (and so Spark-written manifests)
 * declares the partition field `date`; both hold days from 1970-01-01 in 4 bytes, so values
 * read the same either way, and `date` is what a reader of real manifests meets.
 */
export function transformResultType(transform: TransformLike, sourceType: PrimitiveTypeLike): PrimitiveType {
  const tr = resolveTransform(transform)
  const t = resolvePrimitiveType(sourceType)
  checkApplicable(tr, t)
  switch (tr.kind) {
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return 'int'
    case 'day':
      return 'date'
    case 'identity':
    case 'truncate':
    case 'void':
      return typeof sourceType === 'string' ? sourceType : formatPrimitiveType(t)
  }
  return unreachable(tr)
}

/**
 * Inclusive projection (spec: Scan Planning): turns `source <op> value` into a predicate on the
 * partition value that every matching row's partition also satisfies, so a file whose partition
 * fails it can be skipped. `undefined` means "cannot prune": every partition may match.
 *
 * - identity: the same predicate.
 * - bucket: `eq` only (hashing keeps no order).
 * - truncate, year, month, day, hour are order-preserving (non-decreasing), so `eq` → `eq f(v)`,
 *   `lt`/`lte` → `lte f(v)`, `gt`/`gte` → `gte f(v)`. For integral sources `lt v` is first
 *   tightened to `lte v-1` (and `gt v` to `gte v+1`), as Iceberg Java does: `day(ts) < midnight`
 *   then excludes that day.
 * - void, and a transform this module does not know (the spec requires readers to ignore those
 *   when filtering): `undefined`.
 */
export function projectInclusive(
  transform: TransformLike,
  sourceType: PrimitiveTypeLike,
  op: PredicateOp,
  value: SingleValue | null | undefined,
): PartitionPredicate | undefined {
  const tr = typeof transform === 'string' ? tryParseTransform(transform) : transform
  if (tr === undefined || tr.kind === 'void' || value === null || value === undefined) return undefined
  if (!predicateOps.has(op)) throw configInvalid(`unknown predicate operation ${JSON.stringify(op)}: expected eq, lt, lte, gt or gte`)
  const t = resolvePrimitiveType(sourceType)
  checkApplicable(tr, t)
  const v = canonicalValue(t, value)
  if (tr.kind === 'identity') return { op, value: v }
  if (tr.kind === 'bucket') return op === 'eq' ? { op, value: applyToCanonical(tr, t, v) } : undefined
  if (op === 'eq') return { op, value: applyToCanonical(tr, t, v) }
  if (op === 'lt' || op === 'lte') {
    const bound = op === 'lt' ? (step(t, v, -1) ?? v) : v
    return { op: 'lte', value: applyToCanonical(tr, t, bound) }
  }
  const bound = op === 'gt' ? (step(t, v, 1) ?? v) : v
  return { op: 'gte', value: applyToCanonical(tr, t, bound) }
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

const predicateOps: ReadonlySet<string> = new Set<PredicateOp>(['eq', 'lt', 'lte', 'gt', 'gte'])
const int32Min = -(2 ** 31)
const int32Max = 2 ** 31 - 1
const int64Min = -(1n << 63n)
const int64Max = (1n << 63n) - 1n
const microsPerHour = 3_600_000_000n
const microsPerDay = 86_400_000_000n
const longType: ParsedPrimitiveType = { kind: 'long' }
const temporalKinds: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'])
const truncatableKinds: ReadonlySet<string> = new Set(['int', 'long', 'decimal', 'string', 'binary'])
const unhashableKinds: ReadonlySet<string> = new Set(['boolean', 'float', 'double'])

function tryParseTransform(transform: Transform): ParsedTransform | undefined {
  if (typeof transform !== 'string') return undefined
  switch (transform) {
    case 'identity':
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
    case 'void':
      return { kind: transform }
  }
  const m = /^(bucket|truncate)\[(\d+)\]$/.exec(transform)
  const arg = m ? Number(m[2]) : 0
  if (!m || arg < 1 || arg > int32Max) return undefined
  return m[1] === 'bucket' ? { kind: 'bucket', n: arg } : { kind: 'truncate', width: arg }
}

function resolveTransform(transform: TransformLike): ParsedTransform {
  return typeof transform === 'string' ? parseTransform(transform) : transform
}

/** Throws CONFIG_INVALID unless the spec's "Source types" column allows `t` for `tr`. */
function checkApplicable(tr: ParsedTransform, t: ParsedPrimitiveType): void {
  let allowed: boolean
  let expected: string
  switch (tr.kind) {
    case 'identity':
    case 'void':
      return
    case 'bucket':
      allowed = !unhashableKinds.has(t.kind)
      expected = 'int, long, decimal, date, time, timestamp(tz)(_ns), string, uuid, fixed or binary'
      break
    case 'truncate':
      allowed = truncatableKinds.has(t.kind)
      expected = 'int, long, decimal, string or binary'
      break
    case 'year':
    case 'month':
    case 'day':
      allowed = temporalKinds.has(t.kind)
      expected = 'date, timestamp, timestamptz, timestamp_ns or timestamptz_ns'
      break
    case 'hour':
      allowed = temporalKinds.has(t.kind) && t.kind !== 'date'
      expected = 'timestamp, timestamptz, timestamp_ns or timestamptz_ns'
      break
    default:
      return unreachable(tr)
  }
  if (!allowed) {
    throw configInvalid(`partition transform ${formatTransform(tr)} cannot apply to a ${formatPrimitiveType(t)} column: it takes ${expected} (spec: Partition Transforms)`)
  }
}

/** The transform on a value already checked by `canonicalValue` (and by `checkApplicable`). */
function applyToCanonical(tr: ParsedTransform, t: ParsedPrimitiveType, v: SingleValue): SingleValue {
  switch (tr.kind) {
    case 'identity':
    case 'void':
      return v
    case 'bucket':
      return (bucketHash(t, v) & 0x7fffffff) % tr.n
    case 'truncate':
      return truncate(t, tr.width, v)
    case 'year':
      return civilFromDays(toDays(t, v)).year - 1970
    case 'month': {
      const { year, month } = civilFromDays(toDays(t, v))
      return (year - 1970) * 12 + (month - 1)
    }
    case 'day':
      return toDays(t, v)
    case 'hour':
      return toInt(floorDiv(v as bigint, t.kind.endsWith('_ns') ? microsPerHour * 1000n : microsPerHour), tr, v)
  }
  return unreachable(tr)
}

/**
 * truncate[W] (spec: Truncate Transform Details): integers and decimal unscaled values round
 * down to a multiple of W (`v - (((v % W) + W) % W)`, so -1 → -10 for W=10; int and long wrap
 * as Java's do); strings keep their first W code points; binary its first W bytes.
 * @see https://iceberg.apache.org/spec/#truncate-transform-details
 */
function truncate(t: ParsedPrimitiveType, width: number, v: SingleValue): SingleValue {
  switch (t.kind) {
    case 'int': {
      const n = v as number
      return (n - (((n % width) + width) % width)) | 0
    }
    case 'long':
    case 'decimal': {
      const n = v as bigint
      const w = BigInt(width)
      const truncated = n - (((n % w) + w) % w)
      return t.kind === 'long' ? BigInt.asIntN(64, truncated) : truncated
    }
    case 'string': {
      const s = v as string
      let end = 0
      for (let points = 0; points < width && end < s.length; points++) {
        const unit = s.charCodeAt(end)
        end += unit >= 0xd800 && unit <= 0xdbff && end + 1 < s.length ? 2 : 1
      }
      return s.slice(0, end)
    }
    case 'binary':
      return (v as Uint8Array).slice(0, width)
  }
  throw configInvalid(`truncate cannot apply to a ${formatPrimitiveType(t)} column`)
}

/** Days from 1970-01-01 of a date (itself) or a timestamp (floored, so -1 µs is day -1). */
function toDays(t: ParsedPrimitiveType, v: SingleValue): number {
  if (t.kind === 'date') return v as number
  return Number(floorDiv(v as bigint, t.kind.endsWith('_ns') ? microsPerDay * 1000n : microsPerDay))
}

/** Proleptic Gregorian year and month (1–12) of a day count (H. Hinnant's `civil_from_days`). */
function civilFromDays(days: number): { year: number; month: number } {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month }
}

/** `v + delta` within the range of an integral source type; undefined when not integral or out of range. */
function step(t: ParsedPrimitiveType, v: SingleValue, delta: 1 | -1): SingleValue | undefined {
  switch (t.kind) {
    case 'int':
    case 'date': {
      const n = (v as number) + delta
      return n >= int32Min && n <= int32Max ? n : undefined
    }
    case 'long':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const n = (v as bigint) + BigInt(delta)
      return n >= int64Min && n <= int64Max ? n : undefined
    }
    case 'decimal':
      return (v as bigint) + BigInt(delta)
    default:
      return undefined
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

function toInt(n: bigint, tr: ParsedTransform, v: SingleValue): number {
  if (n < BigInt(int32Min) || n > BigInt(int32Max)) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${formatTransform(tr)} of ${String(v)} is ${n}, outside the int range of the partition value: the timestamp is corrupt`)
  }
  return Number(n)
}

function hashLong(v: bigint): number {
  return murmur3Hash32(encodeSingleValue(longType, v))
}

/** Java's `doubleToLongBits` with NaN canonical and -0 as 0 (spec Appendix B note 5), hashed as a long. */
function hashDouble(v: number): number {
  const bytes = new Uint8Array(8)
  const view = new DataView(bytes.buffer)
  if (Number.isNaN(v)) view.setBigUint64(0, 0x7ff8000000000000n, true)
  else view.setFloat64(0, v === 0 ? 0 : v, true)
  return murmur3Hash32(bytes)
}

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function formatTransform(tr: ParsedTransform): string {
  if (tr.kind === 'bucket') return `bucket[${tr.n}]`
  if (tr.kind === 'truncate') return `truncate[${tr.width}]`
  return tr.kind
}

function unreachable(x: never): never {
  throw configInvalid(`unsupported ${JSON.stringify(x)}`)
}

function configInvalid(message: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.ConfigInvalid, message)
}
