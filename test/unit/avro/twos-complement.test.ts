import { describe, expect, it } from 'vitest'
import { isWorkbenchError } from '../../../lib/internal'
import { decodeTwosComplement, decodeTwosComplementExact, encodeTwosComplement, twosComplementLength, writeTwosComplement } from '../../../lib/internal'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

// Expected bytes are what Java's BigInteger.toByteArray writes, the form both the Avro decimal
// and Iceberg's decimal single value use: big-endian, fewest bytes, zero as one 00 byte.
const minimal: ReadonlyArray<readonly [bigint, string]> = [
  [0n, '00'],
  [1n, '01'],
  [-1n, 'ff'],
  [127n, '7f'],
  [128n, '0080'], // top bit set: a 00 byte keeps it positive
  [-128n, '80'],
  [-129n, 'ff7f'],
  [255n, '00ff'],
  [-256n, 'ff00'],
  [32767n, '7fff'],
  [-32768n, '8000'],
  [1420n, '058c'], // 14.20 in decimal(9,2), the spec's example
  [6701250000000n, '061841a03480'], // 67012.5 at scale 8
  [(1n << 47n) - 1n, '7fffffffffff'], // the widest 6-byte value
  [1n << 47n, '00800000000000'], // the first that needs 7
  [-(1n << 47n) - 1n, 'ff7fffffffffff'],
  [-(1n << 63n), '8000000000000000'],
  [10n ** 38n - 1n, '4b3b4ca85a86c47a098a223fffffffff'], // the largest decimal(38, s)
  [-(10n ** 38n - 1n), 'b4c4b357a5793b85f675ddc000000001'],
]

describe('big-endian two\'s complement', () => {
  it.each(minimal)('%s is %s in the fewest bytes, and reads back', (n, bytes) => {
    expect(twosComplementLength(n)).toBe(bytes.length / 2)
    expect(hex(encodeTwosComplement(n))).toBe(bytes)
    expect(decodeTwosComplement(unhex(bytes))).toBe(n)
  })

  it.each(minimal.filter(([n]) => Number.isSafeInteger(Number(n))))('the number %s encodes to the same bytes as the bigint', (n, bytes) => {
    expect(twosComplementLength(Number(n))).toBe(bytes.length / 2)
    expect(hex(encodeTwosComplement(Number(n)))).toBe(bytes)
    expect(decodeTwosComplementExact(unhex(bytes))).toBe(Number(n))
  })

  it.each([
    [-1n, 4, 'ffffffff'],
    [-2, 8, 'fffffffffffffffe'],
    [1n, 3, '000001'],
    [-129, 2, 'ff7f'],
    [1420n, 16, '0000000000000000000000000000058c'],
    [-1420n, 16, 'fffffffffffffffffffffffffffffa74'],
  ])('sign-extends %s to %i bytes as a fixed holds it', (n, length, bytes) => {
    expect(hex(encodeTwosComplement(n, length))).toBe(bytes)
    expect(decodeTwosComplement(unhex(bytes))).toBe(BigInt(n))
  })

  it.each([
    ['ffff', -1n],
    ['ffffffffffffffffff', -1n], // 9 bytes: past the number path
    ['0000000001', 1n],
    ['ff7f', -129n],
    ['00000000000000000000000000000080', 128n],
  ])('reads the sign-extended %s as other writers pad it: %s', (bytes, n) => {
    expect(decodeTwosComplement(unhex(bytes))).toBe(n)
  })

  it('reads a range inside a larger buffer, without touching its neighbours', () => {
    const buffer = unhex('7f' + 'ff7f' + '80')
    expect(decodeTwosComplement(buffer, 1, 3)).toBe(-129n)
    const target = new Uint8Array(5).fill(0xaa)
    writeTwosComplement(-2n, target, 1, 3)
    expect(hex(target)).toBe('aafffffeaa')
  })

  it.each([
    ['a Uint8Array of length 0', () => decodeTwosComplement(new Uint8Array(0))],
    ['an empty range of a longer buffer', () => decodeTwosComplement(unhex('0102'), 1, 1)],
    ['an empty range, read as an exact integer', () => decodeTwosComplementExact(new Uint8Array(0))],
  ])('refuses %s instead of reading it as 0', (_what, read) => {
    let thrown: unknown
    try {
      read()
    } catch (err) {
      thrown = err
    }
    expect(isWorkbenchError(thrown, 'RECORD_INVALID')).toBe(true)
    expect((thrown as Error).message).toMatch(/empty byte string/)
  })

  it.each([
    [128n, 1],
    [-129, 1],
    [1n << 63n, 8],
  ])('refuses to write %s into %i bytes', (n, length) => {
    expect(() => encodeTwosComplement(n, length)).toThrow(/needs \d+ bytes/)
  })

  it('keeps the value of 5000 random integers up to 128 bits, minimal and sign-extended', () => {
    for (let i = 0; i < 5000; i++) {
      const bits = 1 + Math.floor(Math.random() * 128)
      let n = 0n
      for (let b = 0; b < bits; b += 16) n = (n << 16n) | BigInt(Math.floor(Math.random() * 0x10000))
      n = BigInt.asIntN(bits, n)
      const bytes = encodeTwosComplement(n)
      expect(decodeTwosComplement(bytes)).toBe(n)
      // Minimal: dropping the first byte would change the value (or leave nothing).
      if (bytes.length > 1) expect(bytes[0] === 0x00 && bytes[1]! < 0x80).toBe(false)
      if (bytes.length > 1) expect(bytes[0] === 0xff && bytes[1]! >= 0x80).toBe(false)
      const wide = encodeTwosComplement(n, bytes.length + 1 + Math.floor(Math.random() * 8))
      expect(decodeTwosComplement(wide)).toBe(n)
      const exact = decodeTwosComplementExact(wide)
      expect(exact).toBe(Number.isSafeInteger(Number(n)) && BigInt(Number(n)) === n ? Number(n) : n)
    }
  })
})
