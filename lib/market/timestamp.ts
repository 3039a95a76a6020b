import { ErrorCode, WorkbenchError } from '../errors/index'

/**
 * An instant with microsecond precision that is still a Date: charts, comparisons and
 * `getTime()` (ms) work as before, and `micros` keeps the exact value. `toJSON()` writes ISO 8601
 * in UTC with six fractional digits (`2026-12-04T19:45:14.123456Z`), so rows sent as JSON (the
 * API) carry every digit the lake and the tail hold. Pure.
 */
export class Timestamp extends Date {
  /** Microseconds since the epoch. */
  readonly micros: bigint

  constructor(micros: bigint) {
    super(Number(floorDiv(micros, 1000n)))
    this.micros = micros
  }

  /** A Date's instant (to the ms, or to the µs when it is a Timestamp). */
  static of(date: Date): Timestamp {
    return date instanceof Timestamp ? date : new Timestamp(BigInt(date.getTime()) * 1000n)
  }

  /** ISO 8601 in UTC with six fractional digits. */
  toISOStringMicros(): string {
    return isoMicros(this.micros)
  }

  override toJSON(): string {
    return isoMicros(this.micros)
  }
}

/** Microseconds since the epoch of any Date (exact for a Timestamp). */
export function microsOf(date: Date): bigint {
  return date instanceof Timestamp ? date.micros : BigInt(date.getTime()) * 1000n
}

/** ISO 8601 in UTC with six fractional digits: `2026-12-04T19:45:14.123456Z`. */
export function isoMicros(micros: bigint): string {
  const ms = floorDiv(micros, 1000n)
  const iso = new Date(Number(ms)).toISOString() // …T19:45:14.123Z
  const sub = String(micros - ms * 1000n).padStart(3, '0')
  return `${iso.slice(0, -1)}${sub}Z`
}

const isoPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * Reads ISO 8601 to the microsecond: a date (`2026-11-22`, midnight UTC) or a date and time with
 * a zone (`Z` or `±hh:mm`). A time without a zone is refused rather than read in the reader's
 * local zone (which differs between a laptop and a server). Digits past the µs are dropped
 * (floor). Throws QUERY_INVALID.
 */
export function parseIsoMicros(text: string): Timestamp {
  const m = isoPattern.exec(text)
  if (!m) throw new WorkbenchError(ErrorCode.QueryInvalid, `${JSON.stringify(text.slice(0, 64))} is not an ISO 8601 time such as 2026-11-22T10:00:00.123456Z`)
  const [, y, mo, d, h, mi, s, frac, zone] = m
  if (h !== undefined && zone === undefined) {
    throw new WorkbenchError(ErrorCode.QueryInvalid, `${JSON.stringify(text.slice(0, 64))} has no time zone: add Z for UTC (or an offset such as +01:00), since a local time means a different instant on each machine`)
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0))
  const check = new Date(ms)
  if (Number.isNaN(ms) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) {
    throw new WorkbenchError(ErrorCode.QueryInvalid, `${JSON.stringify(text.slice(0, 64))} is not a valid calendar time`)
  }
  let offsetMinutes = 0
  if (zone && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]))
  }
  const micros = (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1000n + BigInt((frac ?? '').padEnd(6, '0').slice(0, 6))
  return new Timestamp(micros)
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}
