import { ErrorCode, WorkbenchError } from '../errors/index'

/**
 * Reading fields out of parsed JSON whose shape is not trusted (a prices file, a benchmark
 * result). Every failure is CONFIG_INVALID and names the document and the dotted key, so a bad
 * file says which line to fix. Internal to lib/cost.
 */

/** A parsed JSON document and what to call it in errors (`data/unit-prices.json`, `sink benchmark`). */
export interface JsonDocument {
  readonly value: unknown
  readonly what: string
}

/** A key: dotted (`backlog.bytesPerTrade.asCommitted`), or its steps when one holds a dot (`['compute', 'instances', 'm7g.large']`). */
export type JsonKey = string | readonly string[]

function stepsOf(key: JsonKey): readonly string[] {
  return typeof key === 'string' ? (key === '' ? [] : key.split('.')) : key
}

/** A key as an error shows it: `compute.instances["m7g.large"].perHour`. */
export function keyText(key: JsonKey): string {
  const steps = stepsOf(key)
  if (steps.length === 0) return 'the document'
  return steps.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`)).join('')
}

function invalid(doc: JsonDocument, key: JsonKey, expected: string, got: unknown): WorkbenchError {
  const shown = got === undefined ? 'nothing (the key is missing)' : JSON.stringify(got)
  return new WorkbenchError(ErrorCode.ConfigInvalid, `${doc.what}: ${keyText(key)} must be ${expected}, got ${shown}`)
}

/** The value at a key (a step of digits indexes an array); undefined when any step is missing. */
export function valueAt(value: unknown, key: JsonKey): unknown {
  let here: unknown = value
  for (const step of stepsOf(key)) {
    if (Array.isArray(here)) here = /^\d+$/.test(step) ? here[Number(step)] : undefined
    else if (here !== null && typeof here === 'object') here = Object.prototype.hasOwnProperty.call(here, step) ? (here as Record<string, unknown>)[step] : undefined
    else return undefined
  }
  return here
}

/** The object at `key` ('' for the document itself), or CONFIG_INVALID. */
export function objectAt(doc: JsonDocument, key: JsonKey): Record<string, unknown> {
  const v = valueAt(doc.value, key)
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(doc, key, 'an object', v)
  return v as Record<string, unknown>
}

/** The array at `key`, or CONFIG_INVALID. */
export function arrayAt(doc: JsonDocument, key: JsonKey): unknown[] {
  const v = valueAt(doc.value, key)
  if (!Array.isArray(v)) throw invalid(doc, key, 'an array', v)
  return v
}

/** The finite number at `key`, at least `min` (default 0), above it when `positive`; or CONFIG_INVALID. */
export function numberAt(doc: JsonDocument, key: JsonKey, options: { readonly min?: number; readonly positive?: boolean } = {}): number {
  const v = valueAt(doc.value, key)
  const min = options.min ?? 0
  const ok = typeof v === 'number' && Number.isFinite(v) && (options.positive ? v > min : v >= min)
  if (!ok) throw invalid(doc, key, `a number ${options.positive ? '>' : '≥'} ${min}`, v)
  return v as number
}

/** The non-empty string at `key`, or CONFIG_INVALID. */
export function stringAt(doc: JsonDocument, key: JsonKey): string {
  const v = valueAt(doc.value, key)
  if (typeof v !== 'string' || v.trim() === '') throw invalid(doc, key, 'a non-empty string', v)
  return v
}
