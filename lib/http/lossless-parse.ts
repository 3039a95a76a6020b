import { isSafeNumber, parse as parseWithLibrary } from 'lossless-json'

/**
 * JSON text → value with integers beyond 2^53 as bigint (Iceberg snapshot ids), at close to
 * `JSON.parse` speed. Pure.
 *
 * Table metadata is the hot case: the catalog answers 0.5–1 MB of it for a table that keeps a
 * few hundred snapshots, and every worker and engine reads it after each commit. lossless-json
 * parses that in ~30 ms; this path takes ~9 ms (docs/decisions.md, "Fast lossless JSON"). It
 * finds the unsafe integer literals outside strings, quotes them with a marker, lets the native
 * parser do the rest, and turns the marked strings into bigints. Text that already holds the
 * marker goes to lossless-json, so no string is ever mistaken for a number.
 */
export function parseLosslessJson(text: string): unknown {
  if (text.includes(MARKER_CHAR) || /\\u0001/i.test(text)) return parseWithLibrary(text, undefined, reviveNumber)
  if (/^\s*-?\d{16,}\s*$/.test(text)) return reviveNumber(text.trim())
  const quoted = quoteUnsafeIntegers(text)
  return quoted === undefined ? JSON.parse(text) : revive(JSON.parse(quoted))
}

const MARKER_CHAR = '\u0001'
const MARKER_CODE = 1

/** What lossless-json's number parser answers: safe numbers as numbers, unsafe integers as bigint. */
function reviveNumber(value: string): unknown {
  return isSafeNumber(value) ? Number(value) : /^-?\d+$/.test(value) ? BigInt(value) : Number(value)
}

/**
 * The text with every integer literal beyond 2^53 outside strings written as a marked string
 * (`"\u0001<digits>"`), or undefined when it holds none. A number token follows `:`, `[` or `,`;
 * whether a candidate sits inside a string is settled by counting the unescaped quotes before it.
 */
export function quoteUnsafeIntegers(text: string): string | undefined {
  const candidate = /[:[,]\s*(-?\d{16,})(?![.eE\d])/g
  let inString = false
  let scanned = 0
  let out = ''
  let copied = 0
  for (let m = candidate.exec(text); m !== null; m = candidate.exec(text)) {
    const at = m.index
    for (let q = text.indexOf('"', scanned); q !== -1 && q < at; q = text.indexOf('"', q + 1)) {
      let backslashes = 0
      for (let i = q - 1; text.charCodeAt(i) === 92; i--) backslashes++
      if ((backslashes & 1) === 0) inString = !inString
    }
    scanned = at
    if (inString) continue
    const digits = m[1]!
    if (Number.isSafeInteger(Number(digits))) continue
    const start = at + m[0].length - digits.length
    out += `${text.slice(copied, start)}"\\u0001${digits}"`
    copied = start + digits.length
  }
  return copied === 0 ? undefined : out + text.slice(copied)
}

/** Marked strings → bigint, in place. */
function revive(value: unknown): unknown {
  if (typeof value === 'string') return value.charCodeAt(0) === MARKER_CODE ? BigInt(value.slice(1)) : value
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveChild(value[i])
  } else {
    const o = value as Record<string, unknown>
    for (const k in o) o[k] = reviveChild(o[k])
  }
  return value
}

function reviveChild(v: unknown): unknown {
  if (typeof v === 'string') return v.charCodeAt(0) === MARKER_CODE ? BigInt(v.slice(1)) : v
  return v !== null && typeof v === 'object' ? revive(v) : v
}
