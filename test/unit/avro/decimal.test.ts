import { describe, expect, it } from 'vitest'
import { isWorkbenchError } from '../../../lib/internal'
import { canonicalDecimal, decodeDecimal, encodeDecimal } from '../../../lib/internal'

// Expected bytes are the minimal two's-complement big-endian form of the unscaled value, as
// Java's BigInteger.toByteArray() (and so Avro's Java DecimalConversion) writes them; they were
// computed independently with Python's int.to_bytes(signed=True).
const roundTrips: { what: string; value: string; precision: number; scale: number; hex: string; canonical: string }[] = [
  { what: 'zero', value: '0', precision: 18, scale: 8, hex: '00', canonical: '0.00000000' },
  { what: 'negative zero', value: '-0.0', precision: 18, scale: 8, hex: '00', canonical: '0.00000000' },
  { what: 'one', value: '1', precision: 18, scale: 8, hex: '05f5e100', canonical: '1.00000000' },
  { what: 'minus one', value: '-1', precision: 18, scale: 8, hex: 'fa0a1f00', canonical: '-1.00000000' },
  { what: 'smallest step', value: '0.00000001', precision: 18, scale: 8, hex: '01', canonical: '0.00000001' },
  { what: 'smallest negative step', value: '-0.00000001', precision: 18, scale: 8, hex: 'ff', canonical: '-0.00000001' },
  { what: 'scale padding', value: '67012.5', precision: 18, scale: 8, hex: '061841a03480', canonical: '67012.50000000' },
  { what: 'leading zeros dropped', value: '007.10', precision: 18, scale: 8, hex: '2a51bd80', canonical: '7.10000000' },
  { what: 'zeros beyond the scale lose nothing', value: '1.1234567800', precision: 18, scale: 8, hex: '06b2424e', canonical: '1.12345678' },
  { what: '128 needs a sign byte', value: '1.28', precision: 3, scale: 2, hex: '0080', canonical: '1.28' },
  { what: '-128 fits one byte', value: '-1.28', precision: 3, scale: 2, hex: '80', canonical: '-1.28' },
  { what: '-129 needs two bytes', value: '-1.29', precision: 3, scale: 2, hex: 'ff7f', canonical: '-1.29' },
  { what: 'scale 0', value: '12345', precision: 5, scale: 0, hex: '3039', canonical: '12345' },
  { what: 'max price, decimal(18,8)', value: '9999999999.99999999', precision: 18, scale: 8, hex: '0de0b6b3a763ffff', canonical: '9999999999.99999999' },
  { what: 'min price, decimal(18,8)', value: '-9999999999.99999999', precision: 18, scale: 8, hex: 'f21f494c589c0001', canonical: '-9999999999.99999999' },
  { what: 'max quantity, decimal(28,8)', value: '99999999999999999999.99999999', precision: 28, scale: 8, hex: '204fce5e3e2502610fffffff', canonical: '99999999999999999999.99999999' },
  { what: 'min quantity, decimal(28,8)', value: '-99999999999999999999.99999999', precision: 28, scale: 8, hex: 'dfb031a1c1dafd9ef0000001', canonical: '-99999999999999999999.99999999' },
]

const rejections: { what: string; value: unknown; precision?: number; scale?: number; message: RegExp }[] = [
  { what: 'too many integer digits for decimal(18,8)', value: '10000000000', message: /11 integer digits; decimal\(18,8\) allows at most 10/ },
  { what: 'too many digits, negative', value: '-12345678901.5', message: /11 integer digits/ },
  { what: 'too many digits for decimal(28,8)', value: '100000000000000000000', precision: 28, message: /21 integer digits; decimal\(28,8\) allows at most 20/ },
  { what: 'too many decimals', value: '1.123456789', message: /9 fractional digits; decimal\(18,8\) keeps 8 and will not round/ },
  { what: 'too many decimals, last one non-zero', value: '0.0000000001', message: /10 fractional digits/ },
  { what: 'non-numeric', value: 'abc', message: /"abc" is not a plain decimal number/ },
  { what: 'empty string', value: '', message: /not a plain decimal number/ },
  { what: 'NaN', value: 'NaN', message: /not a plain decimal number/ },
  { what: 'Infinity', value: 'Infinity', message: /not a plain decimal number/ },
  { what: 'exponent notation', value: '1e5', message: /not a plain decimal number.*no exponent/ },
  { what: 'negative exponent', value: '6.7E-8', message: /not a plain decimal number/ },
  { what: 'plus sign', value: '+1', message: /not a plain decimal number/ },
  { what: 'spaces', value: ' 1.5', message: /not a plain decimal number/ },
  { what: 'comma', value: '1,5', message: /not a plain decimal number/ },
  { what: 'no integer digit', value: '.5', message: /not a plain decimal number/ },
  { what: 'no fractional digit', value: '5.', message: /not a plain decimal number/ },
  { what: 'hex', value: '0x10', message: /not a plain decimal number/ },
  { what: 'a JS number (floating point)', value: 1.5, message: /expected an exact decimal string.*got number 1\.5/ },
  { what: 'a JS number NaN', value: Number.NaN, message: /got number NaN/ },
  { what: 'a bigint', value: 15n, message: /got bigint 15n/ },
  { what: 'null', value: null, message: /got object null/ },
  { what: 'missing', value: undefined, message: /got undefined/ },
]

describe('Avro decimal <-> exact string', () => {
  it.each(roundTrips)('$what: $value -> $hex -> $canonical', ({ value, precision, scale, hex, canonical }) => {
    const bytes = encodeDecimal(value, precision, scale)
    expect(bytes.toString('hex')).toBe(hex)
    expect(decodeDecimal(bytes, precision, scale)).toBe(canonical)
    expect(canonicalDecimal(value, precision, scale)).toBe(canonical)
  })

  it.each(rejections)('refuses $what', ({ value, precision = 18, scale = 8, message }) => {
    let thrown: unknown
    try {
      encodeDecimal(value, precision, scale)
    } catch (err) {
      thrown = err
    }
    expect(isWorkbenchError(thrown, 'RECORD_INVALID')).toBe(true)
    expect((thrown as { retryable: boolean }).retryable).toBe(false)
    expect((thrown as Error).message).toMatch(message)
  })

  it('reads sign-extended (non-minimal) bytes as other writers may pad them', () => {
    expect(decodeDecimal(Buffer.from('ffffff', 'hex'), 18, 8)).toBe('-0.00000001')
    expect(decodeDecimal(Buffer.from('000001', 'hex'), 18, 8)).toBe('0.00000001')
  })

  it.each([
    { what: 'an empty byte string', hex: '', message: /empty byte string/ },
    { what: 'a value wider than the precision', hex: '03e8', message: /10\.00 has 4 digits; decimal\(3,2\) holds at most 3/ },
  ])('refuses to decode $what', ({ hex, message }) => {
    expect(() => decodeDecimal(Buffer.from(hex, 'hex'), 3, 2)).toThrow(message)
  })
})
