import { ErrorCode, WorkbenchError } from '../errors/index'
import { decodeTwosComplement, decodeTwosComplementExact } from './twos-complement'

/**
 * A cursor over one Avro binary body, for readers compiled per writer schema (the Kafka tail's
 * column decoder): zigzag varint longs as exact bigints, strings, decimal bytes as their unscaled
 * integer, enum indexes and block counts, each checked against the bytes left. Encodings follow
 * the Avro spec (https://avro.apache.org/docs/1.11.1/specification/#binary-encoding).
 *
 * It is stricter than avsc, never more lenient: anything avsc would refuse, and anything it reads
 * in a way this cursor does not (varints past 64 bits, negative lengths), throws RECORD_INVALID.
 * A caller that falls back to avsc on any error therefore keeps avsc's verdict on every body.
 */
export class AvroBodyReader {
  private buf: Buffer = Buffer.alloc(0)
  private end = 0
  /** Position of the next byte to read. */
  pos = 0

  /** Reads `buf` from `start` (after a wire-format header) to its end. */
  reset(buf: Buffer, start: number): this {
    this.buf = buf
    this.pos = start
    this.end = buf.length
    return this
  }

  /** Throws unless every byte of the body was read (avsc refuses trailing data too). */
  finish(): void {
    if (this.pos !== this.end) throw invalid(`${this.end - this.pos} bytes left after the record: the body was written with another schema`)
  }

  /**
   * The raw (not yet zigzag-decoded) varint when it is below 2^53 and at most 8 bytes long, else
   * -1 with the position unchanged. Throws when the body ends inside it.
   */
  private varint(): number {
    const buf = this.buf
    let pos = this.pos
    let n = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (pos >= this.end) throw truncated('a long')
      const b = buf[pos++]!
      n += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (n > Number.MAX_SAFE_INTEGER) return -1
        this.pos = pos
        return n
      }
      scale *= 128
    }
    return -1
  }

  /** A zigzag varint long as a safe integer (lengths, counts, indexes); beyond ±2^52 it throws. */
  safeLong(): number {
    const n = this.varint()
    if (n < 0) throw invalid('a long beyond ±2^52 where a length, count or index was expected')
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2
  }

  /** A zigzag varint long (the whole int64 range) as a bigint. */
  long(): bigint {
    const n = this.varint()
    if (n >= 0) return BigInt(n % 2 === 0 ? n / 2 : -(n + 1) / 2)
    // Beyond 2^52: at most 10 bytes, and the value must fit 64 bits.
    const buf = this.buf
    let pos = this.pos
    let z = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw truncated('a long')
      const b = buf[pos++]!
      z |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) {
        if (z >> 64n !== 0n) break
        this.pos = pos
        return z & 1n ? -((z + 1n) >> 1n) : z >> 1n
      }
      shift += 7n
    }
    throw invalid('a long of more than 64 bits')
  }

  /**
   * A zigzag varint long as an exact integer: a number when it is a safe integer (the common
   * case, no allocation), else a bigint. Same bytes accepted and refused as `long`.
   */
  exactLong(): number | bigint {
    const n = this.varint()
    if (n >= 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2
    return exactInteger(this.long())
  }

  /** A non-negative length or count that the bytes left can hold at `minBytes` each. */
  private length(minBytes: number, what: string): number {
    const n = this.safeLong()
    if (n < 0) throw invalid(`a negative ${what} (${n})`)
    if (n * minBytes > this.end - this.pos) throw truncated(`${what} ${n}`)
    return n
  }

  /** A UTF-8 string (invalid sequences become U+FFFD, as avsc and Buffer read them). */
  string(): string {
    const len = this.length(1, 'string length')
    const start = this.pos
    this.pos += len
    return (this.buf as unknown as Utf8Slicer).utf8Slice(start, this.pos)
  }

  /** The bounds of the next string's UTF-8 bytes, skipped: `[start, pos)`; returns start. */
  stringBytes(): number {
    const len = this.length(1, 'string length')
    const start = this.pos
    this.pos += len
    return start
  }

  /** The body being read (for `stringBytes`). */
  get buffer(): Buffer {
    return this.buf
  }

  skipString(): void {
    const len = this.length(1, 'string length')
    this.pos += len
  }

  /**
   * A `decimal(precision, scale)` on bytes as its unscaled integer: two's complement, big-endian,
   * at least one byte, at most `precision` digits (the value is the integer × 10^-scale).
   */
  decimalUnscaled(precision: number): bigint {
    const len = this.length(1, 'decimal length')
    if (len === 0) throw invalid('an empty byte string where a decimal was expected')
    const start = this.pos
    this.pos += len
    const v = decodeTwosComplement(this.buf, start, this.pos)
    const limit = powerOfTen(precision)
    if (v >= limit || v <= -limit) throw invalid(`a decimal of more than ${precision} digits`)
    return v
  }

  /**
   * `decimalUnscaled` as an exact integer: a number when the unscaled value is a safe integer
   * (up to 6 bytes always are), else a bigint. Same bytes accepted and refused.
   */
  decimalUnscaledExact(precision: number): number | bigint {
    const len = this.length(1, 'decimal length')
    if (len === 0) throw invalid('an empty byte string where a decimal was expected')
    const start = this.pos
    this.pos += len
    const v = decodeTwosComplementExact(this.buf, start, this.pos)
    if (typeof v === 'bigint') {
      const limit = powerOfTen(precision)
      if (v >= limit || v <= -limit) throw invalid(`a decimal of more than ${precision} digits`)
      return v
    }
    // A safe integer is below 2^53 < 10^16, and 10^precision is exact as a double up to 10^22.
    if (precision <= 15 && Math.abs(v) >= 10 ** precision) throw invalid(`a decimal of more than ${precision} digits`)
    return v
  }

  /** An enum index below `count`. */
  enumIndex(count: number): number {
    const i = this.safeLong()
    if (i < 0 || i >= count) throw invalid(`enum index ${i} of ${count} symbols`)
    return i
  }

  /**
   * The item count of the next array or map block (0 ends the container); a negative count is
   * followed by the block's byte size, which is skipped. Refused when the bytes left cannot hold
   * that many items of at least `minItemBytes` each.
   */
  blockCount(minItemBytes: number): number {
    let n = this.safeLong()
    if (n < 0) {
      n = -n
      this.safeLong()
    }
    if (n * minItemBytes > this.end - this.pos) throw truncated(`a block of ${n} items`)
    return n
  }
}

/** Node's Buffer decodes a UTF-8 range without toString's argument handling (avsc reads strings the same way). */
interface Utf8Slicer {
  utf8Slice(start: number, end: number): string
}

/** A bigint as a number when it is a safe integer, else itself: how the Kafka tail keeps exact integers. */
export function exactInteger(v: bigint): number | bigint {
  return v >= minSafe && v <= maxSafe ? Number(v) : v
}
const minSafe = BigInt(Number.MIN_SAFE_INTEGER)
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)

const powers: bigint[] = []
function powerOfTen(digits: number): bigint {
  return (powers[digits] ??= 10n ** BigInt(digits))
}

function invalid(what: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, `Avro body refused: ${what}`)
}

function truncated(what: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, `the body ended before ${what}: truncated, or written with another schema`)
}
