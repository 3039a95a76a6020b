/**
 * The record schema as a table: each field of an Avro record with its type in words
 * (`bytes (decimal 18,8)`, `long (timestamp-micros)`, `enum BUY/SELL`). Pure.
 */
import type { AvroSchema } from '../avro/index'

/** One field of a record schema. */
export type SchemaFieldRow = { readonly field: string; readonly type: string; readonly doc: string }

const isObject = (v: unknown): v is Readonly<Record<string, unknown>> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** An Avro type as a reader says it: logical types with their parameters, unions joined by `|`. */
export function avroTypeName(type: unknown): string {
  if (typeof type === 'string') return type
  if (Array.isArray(type)) return type.map(avroTypeName).join(' | ')
  if (!isObject(type)) return String(type)
  if (typeof type.logicalType === 'string') return `${avroTypeName(type.type)} (${type.logicalType}${type.precision !== undefined ? ` ${String(type.precision)},${String(type.scale ?? 0)}` : ''})`
  if (type.type === 'array') return `array<${avroTypeName(type.items)}>`
  if (type.type === 'enum' && Array.isArray(type.symbols)) return `enum ${type.symbols.join('/')}`
  return avroTypeName(type.type)
}

/** A record schema's name and its fields, one row each. */
export function schemaFields(schema: AvroSchema): { readonly name: string; readonly rows: SchemaFieldRow[] } {
  const fields = Array.isArray(schema.fields) ? (schema.fields as unknown[]) : []
  return {
    name: String(schema.name),
    rows: fields.filter(isObject).map((f) => ({ field: String(f.name), type: avroTypeName(f.type), doc: typeof f.doc === 'string' ? f.doc : '' })),
  }
}
