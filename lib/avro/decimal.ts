import * as avro from 'avsc'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { decodeTwosComplement, twosComplementLength, writeTwosComplement } from './twos-complement'

/** A plain decimal number: optional '-', digits, optional '.' and digits. No '+', exponent or spaces. */
const plainDecimal = /^(-?)(\d+)(?:\.(\d+))?$/

/**
 * Exact decimal string → Avro `decimal(precision, scale)` bytes. Layout: the unscaled integer
 * (value × 10^scale) in two's complement, big-endian, in as few bytes as hold it
 * (https://avro.apache.org/docs/1.11.1/specification/#decimal); `"67012.5"` at scale 8 is
 * 6701250000000 → `06 18 41 a0 34 80`. No floating point either way: a value that would need
 * rounding is refused (RECORD_INVALID), as is anything but a plain decimal string and anything
 * needing more than `precision` digits. Zeros beyond `scale` are accepted: they lose nothing.
 */
export function encodeDecimal(value: unknown, precision: number, scale: number): Buffer {
  const unscaled = parseDecimal(value, precision, scale)
  const out = Buffer.allocUnsafe(twosComplementLength(unscaled))
  writeTwosComplement(unscaled, out, 0, out.length)
  return out
}

/** Unscaled two's-complement big-endian bytes → canonical string with exactly `scale` fractional digits. */
export function decodeDecimal(bytes: Uint8Array, precision: number, scale: number): string {
  if (!(bytes instanceof Uint8Array)) throw invalid(`the body ended before a decimal(${precision},${scale}) value: truncated, or written with another schema`)
  if (bytes.length === 0) throw invalid(`an empty byte string is not a decimal(${precision},${scale}): the Avro spec needs at least one byte`)
  const unscaled = decodeTwosComplement(bytes)
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().length
  if (unscaled !== 0n && digits > precision) {
    throw invalid(`decoded ${formatDecimal(unscaled, scale)} has ${digits} digits; decimal(${precision},${scale}) holds at most ${precision}: the writer broke its own schema`)
  }
  return formatDecimal(unscaled, scale)
}

/** The canonical form of an exact decimal string: `"67012.5"` → `"67012.50000000"` for scale 8. */
export function canonicalDecimal(value: string, precision: number, scale: number): string {
  return formatDecimal(BigInt(parseDecimal(value, precision, scale)), scale)
}

/**
 * An exact decimal string as its unscaled integer at `scale` (`"67012.5"` → 6701250000000n at
 * scale 8), for columns that store decimals natively. Same rules as `encodeDecimal`: no rounding,
 * no more than `precision` digits; RECORD_INVALID otherwise.
 */
export function decimalUnscaled(value: unknown, precision: number, scale: number): bigint {
  return BigInt(parseDecimal(value, precision, scale))
}

/**
 * The unscaled value of an exact decimal string, as `encodeDecimal` checks it: a number when it
 * is below 2^47 (exact), else a bigint. For writers that lay the bytes out themselves.
 */
export function parseDecimal(value: unknown, precision: number, scale: number): number | bigint {
  const spec = `decimal(${precision},${scale})`
  if (typeof value !== 'string') {
    throw invalid(`expected an exact decimal string for ${spec}, got ${typeof value} ${show(value)}: pass prices and sizes as strings, never numbers`)
  }
  const m = plainDecimal.exec(value)
  if (!m) throw invalid(`${show(value)} is not a plain decimal number for ${spec}: expected digits with an optional '-' and '.', no exponent, sign '+' or spaces`)
  const [, sign, integer = '', fraction = ''] = m
  const significant = integer.replace(/^0+/, '')
  if (significant.length > precision - scale) {
    throw invalid(`${show(value)} has ${significant.length} integer digits; ${spec} allows at most ${precision - scale}`)
  }
  if (/[^0]/.test(fraction.slice(scale))) {
    throw invalid(`${show(value)} has ${fraction.length} fractional digits; ${spec} keeps ${scale} and will not round`)
  }
  const digits = significant + fraction.slice(0, scale).padEnd(scale, '0')
  if (digits.length <= 14) {
    const small = Number(digits) // ≤ 14 digits: exact, and below 2^47
    return sign === '-' ? -small : small
  }
  const unscaled = BigInt(digits)
  return sign === '-' ? -unscaled : unscaled
}

function formatDecimal(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const point = digits.length - scale
  return `${unscaled < 0n ? '-' : ''}${digits.slice(0, point)}${scale > 0 ? `.${digits.slice(point)}` : ''}`
}

function invalid(message: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, message)
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** What avsc passes a logical type's constructor: the schema object (`{"type": "bytes", ...}`). */
type SchemaArg = ConstructorParameters<typeof avro.types.LogicalType>[0]

/**
 * avsc logical type for `{"type": "bytes", "logicalType": "decimal", ...}`: the JS value is the
 * exact decimal string, canonical on read. Resolution accepts a writer decimal of the same scale
 * (Avro's Java compatibility check ignores logical types, so a registry would accept a changed
 * scale; reading one would silently rescale every value, so it fails loudly instead).
 */
export class DecimalType extends avro.types.LogicalType {
  readonly precision: number
  readonly scale: number

  constructor(schema: SchemaArg, opts?: object) {
    super(schema, opts)
    const { precision, scale = 0 } = schema as { precision?: unknown; scale?: unknown }
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
      throw new WorkbenchError(ErrorCode.SchemaIncompatible, `decimal precision must be a positive integer, got ${show(precision)}`)
    }
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new WorkbenchError(ErrorCode.SchemaIncompatible, `decimal scale must be an integer in 0..${precision} (the precision), got ${show(scale)}`)
    }
    if (!avro.Type.isType(this.underlyingType, 'bytes')) {
      throw new WorkbenchError(ErrorCode.SchemaIncompatible, `decimal on ${this.underlyingType.typeName} is not supported: the workbench's schemas use bytes`)
    }
    this.precision = precision
    this.scale = scale
  }

  /** Why `value` cannot be written with this type, for error messages; undefined when it can. */
  problem(value: unknown): string | undefined {
    try {
      encodeDecimal(value, this.precision, this.scale)
      return undefined
    } catch (err) {
      return (err as Error).message
    }
  }

  /** A random value that fits, for avsc's `type.random()` (the base class would decode random bytes). */
  override random(): avro.types.LogicalType {
    const digits = 1 + Math.floor(Math.random() * this.precision)
    let unscaled = 0n
    for (let i = 0; i < digits; i++) unscaled = unscaled * 10n + BigInt(Math.floor(Math.random() * 10))
    // avsc's typings declare random() as returning the type; at runtime it returns a value.
    return formatDecimal(Math.random() < 0.5 ? -unscaled : unscaled, this.scale) as unknown as avro.types.LogicalType
  }

  protected override _fromValue(bytes: Buffer): string {
    return decodeDecimal(bytes, this.precision, this.scale)
  }

  protected override _toValue(value: unknown): Buffer {
    return encodeDecimal(value, this.precision, this.scale)
  }

  protected override _resolve(writer: avro.Type): ((value: string) => string) | undefined {
    // The writer's own type has already decoded and canonicalised the value with the same scale.
    if (!(writer instanceof DecimalType) || writer.scale !== this.scale) return undefined
    return writer.precision <= this.precision ? (value) => value : (value) => fitsPrecision(value, this)
  }

  protected override _export(schema: SchemaArg): void {
    Object.assign(schema, { precision: this.precision, scale: this.scale })
  }
}

/** A value read with a writer of the same scale but a larger precision must still fit the reader's. */
function fitsPrecision(value: string, reader: DecimalType): string {
  const digits = value.replace(/[-.]/g, '').replace(/^0+/, '').length
  if (digits > reader.precision) {
    throw invalid(`decoded ${value} has ${digits} digits; the reader's decimal(${reader.precision},${reader.scale}) holds at most ${reader.precision}`)
  }
  return value
}
