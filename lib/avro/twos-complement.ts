import { ErrorCode, WorkbenchError } from '../errors/index'

/**
 * Big-endian two's complement of arbitrary width: the byte layout of an Avro `decimal`
 * (https://avro.apache.org/docs/1.11.1/specification/#decimal, on bytes or fixed) and of an
 * Iceberg decimal single value (https://iceberg.apache.org/spec/#binary-single-value-serialization),
 * whose partition tuples and bounds the manifests carry. One implementation for the Avro codecs,
 * the Kafka tail's body reader and the Iceberg layer above them. Pure: no IO.
 *
 * Empty input is refused (RECORD_INVALID), never read as 0. Both specs define the bytes as the
 * two's complement of the unscaled integer, and Iceberg asks for "the minimum number of bytes
 * for the value", which is one byte even for zero (`00`, as Java's `BigInteger.toByteArray`
 * writes it). Java, which writes most of the files read here, decodes both with
 * `new BigInteger(bytes)`, and that refuses a zero-length array. So an empty byte string is a
 * truncated or corrupt value; reading it as 0 would turn corruption into a plausible price or
 * partition value.
 */

/** Up to 6 bytes (48 bits) a double holds every value exactly: the number path's limit. */
const numberBytes = 6

/**
 * The fewest bytes whose two's-complement range holds `n` (a safe integer or a bigint): 0 and -1
 * take one byte, 127 one and 128 two, -128 one and -129 two.
 */
export function twosComplementLength(n: number | bigint): number {
  let length = 1
  if (typeof n === 'number') {
    while (n < -(2 ** (8 * length - 1)) || n >= 2 ** (8 * length - 1)) length++
  } else {
    while (n < -(1n << BigInt(8 * length - 1)) || n >= 1n << BigInt(8 * length - 1)) length++
  }
  return length
}

/**
 * Writes `n` (a safe integer or a bigint) into `target[offset, offset + length)`, sign-extended to
 * `length` bytes: `-1` in 3 bytes is `ff ff ff`. Throws RECORD_INVALID when `n` needs more bytes.
 */
export function writeTwosComplement(n: number | bigint, target: Uint8Array, offset: number, length: number): void {
  const needed = twosComplementLength(n)
  if (needed > length) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${typeof n === 'bigint' ? `${n}n` : n} needs ${needed} bytes of two's complement; the value has room for ${length}`)
  }
  if (typeof n === 'number' && length <= numberBytes) {
    // Plain arithmetic: 2^(8 length) + n is exact below 2^49, and this is the hot path of the writers.
    let rest = n < 0 ? 2 ** (8 * length) + n : n
    for (let i = offset + length - 1; i >= offset; i--) {
      target[i] = rest % 256
      rest = Math.floor(rest / 256)
    }
    return
  }
  let rest = BigInt.asUintN(8 * length, BigInt(n))
  for (let i = offset + length - 1; i >= offset; i--) {
    target[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
}

/** `n` (a safe integer or a bigint) in `length` bytes (sign-extended), or the fewest that hold it. */
export function encodeTwosComplement(n: number | bigint, length: number = twosComplementLength(n)): Uint8Array {
  const out = new Uint8Array(length)
  writeTwosComplement(n, out, 0, length)
  return out
}

/**
 * The integer in `bytes[start, end)`, of any width: minimal or sign-extended (`ff ff` and `ff`
 * are both -1). Throws RECORD_INVALID for an empty range (see the module comment).
 */
export function decodeTwosComplement(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  const length = end - start
  if (length <= 0) throw emptyInput()
  if (length <= numberBytes) return BigInt(signedNumber(bytes, start, end))
  // The leading bytes carry the sign; every later 6-byte group is unsigned and shifts in below.
  const head = start + (length % numberBytes || numberBytes)
  let value = BigInt(signedNumber(bytes, start, head))
  for (let i = head; i < end; i += numberBytes) value = (value << 48n) | BigInt(unsignedNumber(bytes, i, i + numberBytes))
  return value
}

/**
 * `decodeTwosComplement` as an exact JS integer: a number when the value is a safe integer
 * (6 bytes or fewer always are), else a bigint. Same bytes accepted and refused.
 */
export function decodeTwosComplementExact(bytes: Uint8Array, start = 0, end = bytes.length): number | bigint {
  const length = end - start
  if (length <= 0) throw emptyInput()
  if (length <= numberBytes) return signedNumber(bytes, start, end)
  const value = decodeTwosComplement(bytes, start, end)
  return value >= minSafe && value <= maxSafe ? Number(value) : value
}

const minSafe = BigInt(Number.MIN_SAFE_INTEGER)
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER)

/** 1 to 6 bytes as a signed number. */
function signedNumber(bytes: Uint8Array, start: number, end: number): number {
  const n = unsignedNumber(bytes, start, end)
  return bytes[start]! & 0x80 ? n - 2 ** (8 * (end - start)) : n
}

function unsignedNumber(bytes: Uint8Array, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) n = n * 256 + bytes[i]!
  return n
}

function emptyInput(): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, "an empty byte string is not a two's-complement integer: an Avro decimal or Iceberg decimal value has at least one byte (zero is 00); the value is truncated or corrupt")
}
