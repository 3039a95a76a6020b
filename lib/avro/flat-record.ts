import type { AvroSchema } from './avsc-types'

/**
 * The shape of a flat Avro record: one entry per field, in the order the binary encoding writes
 * them, for readers compiled per writer schema (the Kafka tail's column decoder). Flat means
 * every field is a string, an int or long (timestamp-micros included), a decimal on bytes, an
 * enum, or an array or map of strings: the market schemas. Anything else (unions, nested records,
 * fixed, floats) is left to avsc.
 */
export type FlatFieldType =
  | { readonly kind: 'string' }
  | { readonly kind: 'int' }
  | { readonly kind: 'long'; readonly logicalType?: 'timestamp-micros' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'enum'; readonly symbols: readonly string[] }
  | { readonly kind: 'array'; readonly items: 'string' }
  | { readonly kind: 'map'; readonly values: 'string' }

export interface FlatField {
  readonly name: string
  readonly type: FlatFieldType
  /** The schema's default (JSON), when it has one. */
  readonly default?: unknown
  readonly hasDefault: boolean
}

/** The fields of a flat record schema (text or parsed), or undefined when it is not one. */
export function flatRecordFields(schema: string | AvroSchema): FlatField[] | undefined {
  let parsed: unknown
  try {
    parsed = typeof schema === 'string' ? JSON.parse(schema) : schema
  } catch {
    return undefined
  }
  if (!isObject(parsed) || parsed.type !== 'record' || !Array.isArray(parsed.fields)) return undefined
  const out: FlatField[] = []
  for (const f of parsed.fields as unknown[]) {
    if (!isObject(f) || typeof f.name !== 'string' || f.aliases !== undefined) return undefined
    const type = flatType(f.type)
    if (!type) return undefined
    out.push({ name: f.name, type, hasDefault: 'default' in f, ...('default' in f ? { default: f.default } : {}) })
  }
  return out
}

/** True when a writer field of type `a` reads as a reader field of type `b` with no conversion. */
export function sameFlatType(a: FlatFieldType, b: FlatFieldType): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function flatType(t: unknown): FlatFieldType | undefined {
  if (t === 'string') return { kind: 'string' }
  if (t === 'int') return { kind: 'int' }
  if (t === 'long') return { kind: 'long' }
  if (!isObject(t)) return undefined
  const logical = t.logicalType
  if (t.type === 'string' && logical === undefined) return { kind: 'string' }
  if (t.type === 'int' && logical === undefined) return { kind: 'int' }
  if (t.type === 'long' && logical === undefined) return { kind: 'long' }
  if (t.type === 'long' && logical === 'timestamp-micros') return { kind: 'long', logicalType: 'timestamp-micros' }
  if (t.type === 'bytes' && logical === 'decimal') {
    const { precision, scale = 0 } = t
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) return undefined
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined
    return { kind: 'decimal', precision, scale }
  }
  if (logical !== undefined) return undefined
  if (t.type === 'enum' && Array.isArray(t.symbols) && t.symbols.every((s) => typeof s === 'string')) return { kind: 'enum', symbols: t.symbols as string[] }
  if (t.type === 'array' && flatType(t.items)?.kind === 'string') return { kind: 'array', items: 'string' }
  if (t.type === 'map' && flatType(t.values)?.kind === 'string') return { kind: 'map', values: 'string' }
  return undefined
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
