import type { RejectReason } from '../market/types'

/** Decimal shapes the Avro schemas use: total digits and fractional digits. */
export const priceDecimal = { precision: 18, scale: 8 } as const
export const quantityDecimal = { precision: 28, scale: 8 } as const

/**
 * The value, or why not. Told apart with `'reason' in check`, which narrows under tslab's
 * non-strict checker too (a `true | false` discriminant does not without strictNullChecks).
 */
export type DecimalCheck = { readonly value: string } | { readonly reason: RejectReason; readonly detail: string }

/**
 * Validates an exchange decimal string and returns it in canonical form with exactly `scale`
 * fractional digits ("67012.5" → "67012.50000000"). Strings only: a JSON number has already
 * been through floating point. Rejects signs, exponents, NaN, zero, and values that do not fit.
 */
export function canonicalPositiveDecimal(raw: unknown, shape: { precision: number; scale: number }): DecimalCheck {
  if (typeof raw !== 'string') return { reason: 'wrong_type', detail: `expected a decimal string, got ${typeof raw}` }
  const m = /^(\d+)(?:\.(\d+))?$/.exec(raw)
  if (!m) return { reason: 'non_numeric', detail: `${JSON.stringify(raw.slice(0, 40))} is not a plain decimal` }
  const int = m[1]!.replace(/^0+(?=\d)/, '')
  const frac = m[2] ?? ''
  const significantFrac = frac.replace(/0+$/, '')
  if (significantFrac.length > shape.scale) return { reason: 'out_of_range', detail: `${raw} has more than ${shape.scale} decimals` }
  if (int.length > shape.precision - shape.scale) return { reason: 'out_of_range', detail: `${raw} has more than ${shape.precision - shape.scale} integer digits` }
  if (/^0*$/.test(int) && /^0*$/.test(frac)) return { reason: 'non_positive', detail: `${raw} is zero` }
  return { value: `${int}.${significantFrac.padEnd(shape.scale, '0')}` }
}
