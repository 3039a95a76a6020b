import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { canonicalValue, compareValues, decodeSingleValue, parsePrimitiveType, type SingleValue } from './single-value'
import type { DataFile, NestedField, PartitionFieldSummary, PartitionSpec, PrimitiveType, Schema } from './spec-types'
import type { PartitionFieldType } from './table-metadata'
import { projectInclusive, type PartitionPredicate, type PredicateOp } from './transforms'

/**
 * Row filters for scan planning and their evaluation against what manifests know about files
 * (https://iceberg.apache.org/spec/#scan-planning): partition summaries of a manifest, the
 * partition tuple and column bounds of a data file. Evaluation is inclusive: `false` means no row
 * of the manifest or file can match and it is safe to skip; `true` means "may match", so missing
 * or unreadable statistics never drop a file. The engine still applies the filter to the rows.
 * Pure: no IO.
 */

/** The comparisons a column predicate can make. `in` takes `values`; `isNull`/`notNull` take none. */
export type FilterOp = 'eq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'isNull' | 'notNull'

/**
 * A literal in a filter, in the conventions of `SingleValue`: int and date columns take numbers
 * (days from 1970-01-01 for dates), long and timestamp columns bigint (µs; ns for `_ns`),
 * decimals the unscaled bigint, strings strings. A `Date` is also taken for timestamp columns
 * (and for date columns at UTC midnight).
 */
export type FilterValue = SingleValue | Date

/** `column <op> value`; the column is named as in the table schema (`a.b` for a struct field). */
export interface ColumnPredicate {
  readonly column: string
  readonly op: FilterOp
  readonly value?: FilterValue
  readonly values?: readonly FilterValue[]
}

/** A filter expression: predicates on columns combined with `and` (all) and `or` (any). */
export type ScanFilter = { readonly and: readonly ScanFilter[] } | { readonly or: readonly ScanFilter[] } | ColumnPredicate

/** `column = value` */
export function eq(column: string, value: FilterValue): ColumnPredicate {
  return { column, op: 'eq', value }
}

/** `column < value` */
export function lt(column: string, value: FilterValue): ColumnPredicate {
  return { column, op: 'lt', value }
}

/** `column <= value` */
export function lte(column: string, value: FilterValue): ColumnPredicate {
  return { column, op: 'lte', value }
}

/** `column > value` */
export function gt(column: string, value: FilterValue): ColumnPredicate {
  return { column, op: 'gt', value }
}

/** `column >= value` */
export function gte(column: string, value: FilterValue): ColumnPredicate {
  return { column, op: 'gte', value }
}

/** `column IN (values)`; an empty list matches nothing. */
export function isIn(column: string, values: readonly FilterValue[]): ColumnPredicate {
  return { column, op: 'in', values }
}

/** `column IS NULL` */
export function isNull(column: string): ColumnPredicate {
  return { column, op: 'isNull' }
}

/** `column IS NOT NULL` */
export function notNull(column: string): ColumnPredicate {
  return { column, op: 'notNull' }
}

/** `lo <= column AND column <= hi` (both ends included, as SQL's BETWEEN). */
export function between(column: string, lo: FilterValue, hi: FilterValue): ScanFilter {
  return { and: [gte(column, lo), lte(column, hi)] }
}

/** Every filter must hold (`and`); no filter at all matches everything. */
export function allOf(...filters: ScanFilter[]): ScanFilter {
  return { and: filters }
}

/** Any filter may hold (`or`); no filter at all matches nothing. */
export function anyOf(...filters: ScanFilter[]): ScanFilter {
  return { or: filters }
}

/** A column predicate resolved against a schema: the field id and type, values checked and canonical. */
export interface BoundPredicate {
  readonly kind: 'predicate'
  readonly fieldId: number
  readonly column: string
  readonly type: PrimitiveType
  readonly op: FilterOp
  /** One value for the comparisons, any number for `in`, none for `isNull`/`notNull`. */
  readonly values: readonly SingleValue[]
}

/** A filter bound to a schema by `bindFilter`. */
export type BoundFilter = { readonly kind: 'and'; readonly children: readonly BoundFilter[] } | { readonly kind: 'or'; readonly children: readonly BoundFilter[] } | BoundPredicate

const comparisonOps: ReadonlySet<string> = new Set<FilterOp>(['eq', 'lt', 'lte', 'gt', 'gte'])
const allOps: ReadonlySet<string> = new Set<FilterOp>(['eq', 'lt', 'lte', 'gt', 'gte', 'in', 'isNull', 'notNull'])

/**
 * Resolves column names to field ids and types and checks each literal against its column's
 * type. Throws CONFIG_INVALID naming an unknown column (and the columns there are), a nested
 * (struct, list, map) column, an unknown operation or a value that does not fit the column.
 */
export function bindFilter(filter: ScanFilter, schema: Schema): BoundFilter {
  const columns = columnsByName(schema)
  const bind = (f: ScanFilter): BoundFilter => {
    if (typeof f !== 'object' || f === null) throw configInvalid(`a scan filter is an object ({ and }, { or } or { column, op, value }), got ${show(f)}`)
    if ('and' in f) return { kind: 'and', children: list(f.and, 'and').map(bind) }
    if ('or' in f) return { kind: 'or', children: list(f.or, 'or').map(bind) }
    return bindPredicate(f, columns, schema)
  }
  return bind(filter)
}

function list(filters: readonly ScanFilter[], what: string): readonly ScanFilter[] {
  if (!Array.isArray(filters)) throw configInvalid(`{ ${what}: ... } takes an array of filters, got ${show(filters)}`)
  return filters
}

function bindPredicate(p: ColumnPredicate, columns: ReadonlyMap<string, NestedField>, schema: Schema): BoundPredicate {
  const field = columns.get(p.column)
  if (field === undefined) {
    const names = [...columns.keys()].map((n) => JSON.stringify(n))
    throw configInvalid(`filter on unknown column ${JSON.stringify(p.column)}: schema ${schema['schema-id']} has ${names.join(', ') || 'no columns'}`)
  }
  if (typeof field.type !== 'string') {
    throw configInvalid(`filter on column ${JSON.stringify(p.column)}, a ${field.type.type}: only primitive columns can be filtered; name a field inside it (a.b for a struct field)`)
  }
  const type = field.type
  if (!allOps.has(p.op)) throw configInvalid(`filter on ${JSON.stringify(p.column)}: unknown operation ${show(p.op)}; expected one of ${[...allOps].join(', ')}`)
  const check = (v: FilterValue | null | undefined): SingleValue => {
    if (v === null || v === undefined) {
      throw configInvalid(`filter ${JSON.stringify(p.column)} ${p.op} needs a value, got ${String(v)}${p.op === 'eq' ? ': to match nulls use isNull' : ''}`)
    }
    try {
      return canonicalValue(type, fromDate(type, v))
    } catch (err) {
      throw configInvalid(`filter ${JSON.stringify(p.column)} ${p.op}: the column is a ${type}: ${errorMessage(err)}`, err)
    }
  }
  let values: SingleValue[] = []
  if (comparisonOps.has(p.op)) values = [check(p.value)]
  else if (p.op === 'in') {
    if (!Array.isArray(p.values)) throw configInvalid(`filter ${JSON.stringify(p.column)} in takes a values array, got ${show(p.values)}`)
    values = p.values.map(check)
  }
  return { kind: 'predicate', fieldId: field.id, column: p.column, type, op: p.op, values }
}

/** Primitive and nested columns by name: top-level names, and `a.b` for fields of structs. */
function columnsByName(schema: Schema): Map<string, NestedField> {
  const out = new Map<string, NestedField>()
  const visit = (fields: readonly NestedField[], prefix: string): void => {
    for (const f of fields) if (!out.has(prefix + f.name)) out.set(prefix + f.name, f)
    for (const f of fields) if (typeof f.type === 'object' && f.type.type === 'struct') visit(f.type.fields, `${prefix}${f.name}.`)
  }
  visit(schema.fields, '')
  return out
}

const microsPerMilli = 1000n
const millisPerDay = 86_400_000

/** A `Date` as the column's integer: µs (ns) for timestamps, days for a date at UTC midnight. */
function fromDate(type: PrimitiveType, v: FilterValue): SingleValue {
  if (!(v instanceof Date)) return v
  const ms = v.getTime()
  if (Number.isNaN(ms)) throw configInvalid(`an invalid Date is not a ${type} value`)
  const kind = parsePrimitiveType(type).kind
  if (kind === 'timestamp' || kind === 'timestamptz') return BigInt(ms) * microsPerMilli
  if (kind === 'timestamp_ns' || kind === 'timestamptz_ns') return BigInt(ms) * microsPerMilli * 1000n
  if (kind === 'date') {
    if (ms % millisPerDay !== 0) throw configInvalid(`${v.toISOString()} is not a date: a date column takes a Date at UTC midnight, or days from 1970-01-01`)
    return ms / millisPerDay
  }
  throw configInvalid(`a Date is not a ${type} value: Dates are taken for date and timestamp columns`)
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/** What is known of one partition field over a set of files: a range and whether any value is null. */
interface PartitionRange {
  readonly lower: SingleValue | undefined
  readonly upper: SingleValue | undefined
  /** false only when no value is null; true when some (or all) are. */
  readonly containsNull: boolean
  /** true when every value is null (then no comparison can match). */
  readonly allNull: boolean
}

/**
 * Whether any row of a manifest may match, from the manifest list's partition field summaries
 * (spec: Manifest Lists, `partitions`): each predicate is projected through each partition field
 * of its column (`projectInclusive`) and checked against that field's bounds and `contains_null`.
 * `partitionFields` is `partitionType(schema, spec, transformResultType)` for the manifest's spec.
 * No summaries: may match.
 */
export function manifestMayMatch(bound: BoundFilter, spec: PartitionSpec, partitionFields: readonly PartitionFieldType[], summaries: readonly PartitionFieldSummary[] | undefined): boolean {
  checkFields(spec, partitionFields)
  if (summaries === undefined || summaries.length !== partitionFields.length) return evaluate(bound, () => true)
  const ranges = partitionFields.map((field, i): PartitionRange | undefined => {
    const s = summaries[i]
    if (s === undefined) return undefined
    // The spec leaves both bounds out when every value is null or NaN; with contains_nan
    // written as false too, every value is null. Any other absent bound just says nothing.
    const allNull = s.containsNull === true && s.containsNan === false && s.lowerBound === undefined && s.upperBound === undefined
    return { lower: decodeOrUndefined(field.type, s.lowerBound), upper: decodeOrUndefined(field.type, s.upperBound), containsNull: s.containsNull !== false, allNull }
  })
  return evaluate(bound, (p) => partitionMayMatch(p, partitionFields, ranges))
}

/**
 * Whether any row of a data file may match: its partition tuple (as `manifestMayMatch`, on one
 * value per field) and its column metrics (`lower_bounds`/`upper_bounds` in the column's type,
 * `null_value_counts`/`value_counts` for null tests). Missing metrics never prune.
 */
export function fileMayMatch(bound: BoundFilter, spec: PartitionSpec, partitionFields: readonly PartitionFieldType[], dataFile: DataFile): boolean {
  checkFields(spec, partitionFields)
  const tuple = dataFile.partition
  const ranges =
    tuple.length === partitionFields.length
      ? partitionFields.map((_field, i): PartitionRange | undefined => {
          const v = tuple[i]
          if (v === undefined) return undefined
          if (v === null) return { lower: undefined, upper: undefined, containsNull: true, allNull: true }
          return { lower: v, upper: v, containsNull: false, allNull: false }
        })
      : partitionFields.map((): PartitionRange | undefined => undefined)
  return evaluate(bound, (p) => partitionMayMatch(p, partitionFields, ranges) && metricsMayMatch(p, dataFile))
}

function checkFields(spec: PartitionSpec, partitionFields: readonly PartitionFieldType[]): void {
  const same = spec.fields.length === partitionFields.length && spec.fields.every((f, i) => partitionFields[i]?.id === f['field-id'])
  if (!same) {
    throw configInvalid(
      `partition fields [${partitionFields.map((f) => f.id).join(', ')}] are not those of spec ${spec['spec-id']} [${spec.fields.map((f) => f['field-id']).join(', ')}]: pass partitionType(schema, spec, transformResultType) of the manifest's own spec`,
    )
  }
}

function evaluate(f: BoundFilter, leaf: (p: BoundPredicate) => boolean): boolean {
  switch (f.kind) {
    case 'and':
      return f.children.every((c) => evaluate(c, leaf))
    case 'or':
      return f.children.some((c) => evaluate(c, leaf))
    case 'predicate':
      return leaf(f)
  }
  return true
}

/** Transforms whose result is null exactly when the source is (every known one but void). */
const nullPreserving = /^(identity|year|month|day|hour|bucket\[\d+\]|truncate\[\d+\])$/

/** Every partition field of the predicate's column must allow it: each projection is implied by the predicate. */
function partitionMayMatch(p: BoundPredicate, fields: readonly PartitionFieldType[], ranges: ReadonlyArray<PartitionRange | undefined>): boolean {
  return fields.every((field, i) => {
    const range = ranges[i]
    if (field.sourceId !== p.fieldId || range === undefined) return true
    switch (p.op) {
      case 'isNull':
        return !nullPreserving.test(field.transform) || range.containsNull
      case 'notNull':
        return !nullPreserving.test(field.transform) || !range.allNull
      case 'in':
        return p.values.some((v) => projectedMayMatch(field, p.type, 'eq', v, range))
      default:
        return projectedMayMatch(field, p.type, p.op as PredicateOp, p.values[0], range)
    }
  })
}

function projectedMayMatch(field: PartitionFieldType, sourceType: PrimitiveType, op: PredicateOp, value: SingleValue | undefined, range: PartitionRange): boolean {
  if (value === undefined || isNaNValue(value)) return true
  let projected: PartitionPredicate | undefined
  try {
    projected = projectInclusive(field.transform, sourceType, op, value)
  } catch {
    return true // a transform that does not fit its column: the table is odd, the rows decide
  }
  if (projected === undefined) return true
  if (range.allNull && nullPreserving.test(field.transform)) return false
  return rangeMayMatch(field.type, projected.op, projected.value, range.lower, range.upper)
}

/** Whether some value in [lower, upper] may satisfy `x <op> value`; a missing bound is unbounded. */
function rangeMayMatch(type: PrimitiveType, op: PredicateOp, value: SingleValue, lower: SingleValue | undefined, upper: SingleValue | undefined): boolean {
  // -0 and 0 are equal to SQL but ordered by Iceberg bounds: compare with the end that admits more.
  const low = typeof value === 'number' && value === 0 ? -0 : value
  const high = typeof value === 'number' && value === 0 ? 0 : value
  const cmp = (a: SingleValue, b: SingleValue): number | undefined => {
    try {
      return compareValues(type, a, b)
    } catch {
      return undefined // a bound of another type (or a corrupt one) tells nothing
    }
  }
  // Each test is "may match": an absent bound, or one that does not compare, passes.
  const lowerBelow = (strict: boolean): boolean => {
    const c = lower === undefined ? undefined : cmp(lower, high)
    return c === undefined || (strict ? c < 0 : c <= 0)
  }
  const upperAbove = (strict: boolean): boolean => {
    const c = upper === undefined ? undefined : cmp(upper, low)
    return c === undefined || (strict ? c > 0 : c >= 0)
  }
  switch (op) {
    case 'eq':
      return lowerBelow(false) && upperAbove(false)
    case 'lt':
      return lowerBelow(true)
    case 'lte':
      return lowerBelow(false)
    case 'gt':
      return upperAbove(true)
    case 'gte':
      return upperAbove(false)
  }
  return true
}

/** Column metrics of a data file (spec: Manifests, data_file fields 109/110/125/128). */
function metricsMayMatch(p: BoundPredicate, file: DataFile): boolean {
  const id = p.fieldId
  const values = file.valueCounts?.get(id)
  const nulls = file.nullValueCounts?.get(id)
  const allNull = values !== undefined && nulls !== undefined && values === nulls
  switch (p.op) {
    case 'isNull':
      return nulls === undefined || nulls > 0n
    case 'notNull':
      return !allNull
  }
  if (allNull) return false
  const lower = decodeOrUndefined(p.type, file.lowerBounds?.get(id))
  const upper = decodeOrUndefined(p.type, file.upperBounds?.get(id))
  if (p.op === 'in') return p.values.some((v) => isNaNValue(v) || rangeMayMatch(p.type, 'eq', v, lower, upper))
  const value = p.values[0]
  if (value === undefined || isNaNValue(value)) return true
  return rangeMayMatch(p.type, p.op as PredicateOp, value, lower, upper)
}

/** A bound as a value; undefined when absent or not decodable as the type (then it tells nothing). */
function decodeOrUndefined(type: PrimitiveType, bytes: Uint8Array | undefined): SingleValue | undefined {
  if (bytes === undefined) return undefined
  try {
    return decodeSingleValue(type, bytes)
  } catch {
    return undefined
  }
}

/** NaN is outside every bound (bounds skip NaN), so a NaN literal can never prune. */
function isNaNValue(v: SingleValue): boolean {
  return typeof v === 'number' && Number.isNaN(v)
}

function configInvalid(message: string, cause?: unknown): WorkbenchError {
  return new WorkbenchError(ErrorCode.ConfigInvalid, message, false, cause === undefined ? undefined : { cause })
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return JSON.stringify(value)
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value)
  } catch {
    return String(value)
  }
}
