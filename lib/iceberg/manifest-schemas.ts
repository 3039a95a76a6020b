import { twosComplementLength } from '../avro/twos-complement'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { PrimitiveType } from './spec-types'
import type { PartitionFieldType } from './table-metadata'

/**
 * The Avro schemas of Iceberg manifests and manifest lists, format v2, as Iceberg's Java library
 * writes them: the same field ids, record names and partition-value types, so Spark, Athena and
 * the Java API read what the workbench writes. Pure data: `manifest-avro` maps records onto them.
 */

/** What a manifest needs of a partition field: its id and name, and the type its transform produces. */
export type PartitionTupleField = Pick<PartitionFieldType, 'id' | 'name' | 'type'>

type AvroField = Record<string, unknown>

function required(name: string, fieldId: number, type: unknown): AvroField {
  return { name, type, 'field-id': fieldId }
}

function optional(name: string, fieldId: number, type: unknown): AvroField {
  return { name, type: ['null', type], default: null, 'field-id': fieldId }
}

/** An Iceberg map with int keys: an Avro array of key/value records (Avro maps only take string keys). */
function intKeyMap(keyId: number, valueId: number, valueType: string): object {
  return {
    type: 'array',
    items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [required('key', keyId, 'int'), required('value', valueId, valueType)] },
    logicalType: 'map',
  }
}

/**
 * The Avro type of one partition value (spec Appendix A, https://iceberg.apache.org/spec/#avro):
 * date as int/date, time and timestamps as long with their logical type, uuid and fixed[L] as
 * fixed, decimal(P, S) as the smallest fixed that holds P digits. Named types (fixed) are
 * declared once and referenced by name after, as Avro requires.
 */
function partitionAvroType(type: PrimitiveType, declared: Set<string>): unknown {
  const named = (schema: Record<string, unknown> & { name: string }): unknown => {
    if (declared.has(schema.name)) return schema.name
    declared.add(schema.name)
    return schema
  }
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type
    case 'binary':
      return 'bytes'
    case 'date':
      return { type: 'int', logicalType: 'date' }
    case 'time':
      return { type: 'long', logicalType: 'time-micros' }
    case 'timestamp':
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': type === 'timestamptz' }
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': type === 'timestamptz_ns' }
    case 'uuid':
      return named({ type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' })
  }
  const fixed = /^fixed\[(\d+)\]$/.exec(type)
  if (fixed) return named({ type: 'fixed', name: `fixed_${fixed[1]}`, size: Number(fixed[1]) })
  const decimal = parseDecimalType(type)
  if (decimal) {
    const { precision, scale } = decimal
    return named({ type: 'fixed', name: `decimal_${precision}_${scale}`, size: decimalRequiredBytes(precision), logicalType: 'decimal', precision, scale })
  }
  throw new WorkbenchError(ErrorCode.SchemaIncompatible, `partition type ${JSON.stringify(type)} has no Avro mapping: expected a primitive type (int, long, date, timestamp, string, decimal(P, S), ...)`)
}

function parseDecimalType(type: string): { precision: number; scale: number } | undefined {
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type)
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined
}

/** The fewest bytes whose two's-complement range holds every unscaled value of `precision` digits. */
function decimalRequiredBytes(precision: number): number {
  return twosComplementLength(10n ** BigInt(precision) - 1n)
}

/**
 * A partition field name as an Avro name, as Java's `AvroSchemaUtil.makeCompatibleName` does:
 * a leading digit becomes `_3`, any other character outside `[A-Za-z0-9_]` becomes `_x` + its hex code.
 */
export function avroName(name: string): string {
  let out = ''
  for (let i = 0; i < name.length; i++) {
    const c = name.charAt(i)
    if (/[A-Za-z_]/.test(c) || (i > 0 && /\d/.test(c))) out += c
    else out += /\d/.test(c) ? `_${c}` : `_x${c.charCodeAt(0).toString(16).toUpperCase()}`
  }
  return out || '_'
}

/**
 * `manifest_entry`, format v2 (https://iceberg.apache.org/spec/#manifests). Each field carries
 * its Iceberg `field-id`; the record names are the ones Java writes:
 *
 *   status 0 int (0 EXISTING, 1 ADDED, 2 DELETED) · snapshot_id 1 [null, long] ·
 *   sequence_number 3 [null, long] · file_sequence_number 4 [null, long] · data_file 2 record r2:
 *     content 134 int · file_path 100 string · file_format 101 string ·
 *     partition 102 record r102 (one optional field per partition field, named by `avroName`,
 *       field-id = partition field id, typed by `partitionAvroType`) ·
 *     record_count 103 long · file_size_in_bytes 104 long ·
 *     column_sizes 108 · value_counts 109 · null_value_counts 110 · nan_value_counts 137 ·
 *     lower_bounds 125 · upper_bounds 128 — each [null, array of record kK_vV {key int, value}]
 *       with logicalType map (keys/values 117/118, 119/120, 121/122, 138/139, 126/127, 129/130;
 *       bounds are bytes in the single-value encoding) ·
 *     key_metadata 131 [null, bytes] · split_offsets 132 [null, array<long> element 133] ·
 *     equality_ids 135 [null, array<int> element 136] · sort_order_id 140 [null, int]
 */
export function manifestEntrySchema(partitionType: readonly PartitionTupleField[]): object {
  const declared = new Set<string>()
  const partitionFields = partitionType.map((field) => optional(avroName(field.name), field.id, partitionAvroType(field.type, declared)))
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required('status', 0, 'int'),
      optional('snapshot_id', 1, 'long'),
      optional('sequence_number', 3, 'long'),
      optional('file_sequence_number', 4, 'long'),
      required('data_file', 2, {
        type: 'record',
        name: 'r2',
        fields: [
          required('content', 134, 'int'),
          required('file_path', 100, 'string'),
          required('file_format', 101, 'string'),
          required('partition', 102, { type: 'record', name: 'r102', fields: partitionFields }),
          required('record_count', 103, 'long'),
          required('file_size_in_bytes', 104, 'long'),
          optional('column_sizes', 108, intKeyMap(117, 118, 'long')),
          optional('value_counts', 109, intKeyMap(119, 120, 'long')),
          optional('null_value_counts', 110, intKeyMap(121, 122, 'long')),
          optional('nan_value_counts', 137, intKeyMap(138, 139, 'long')),
          optional('lower_bounds', 125, intKeyMap(126, 127, 'bytes')),
          optional('upper_bounds', 128, intKeyMap(129, 130, 'bytes')),
          optional('key_metadata', 131, 'bytes'),
          optional('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }),
          optional('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }),
          optional('sort_order_id', 140, 'int'),
        ],
      }),
    ],
  }
}

/**
 * `manifest_file`, format v2 (https://iceberg.apache.org/spec/#manifest-lists):
 *
 *   manifest_path 500 string · manifest_length 501 long · partition_spec_id 502 int ·
 *   content 517 int (0 data, 1 deletes) · sequence_number 515 long · min_sequence_number 516 long ·
 *   added_snapshot_id 503 long · added_files_count 504 int · existing_files_count 505 int ·
 *   deleted_files_count 506 int · added_rows_count 512 long · existing_rows_count 513 long ·
 *   deleted_rows_count 514 long ·
 *   partitions 507 [null, array element 508 of record r508 {contains_null 509 boolean,
 *     contains_nan 518 [null, boolean], lower_bound 510 [null, bytes], upper_bound 511 [null, bytes]}] ·
 *   key_metadata 519 [null, bytes]
 */
export const manifestFileSchema: object = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    required('manifest_path', 500, 'string'),
    required('manifest_length', 501, 'long'),
    required('partition_spec_id', 502, 'int'),
    required('content', 517, 'int'),
    required('sequence_number', 515, 'long'),
    required('min_sequence_number', 516, 'long'),
    required('added_snapshot_id', 503, 'long'),
    required('added_files_count', 504, 'int'),
    required('existing_files_count', 505, 'int'),
    required('deleted_files_count', 506, 'int'),
    required('added_rows_count', 512, 'long'),
    required('existing_rows_count', 513, 'long'),
    required('deleted_rows_count', 514, 'long'),
    optional('partitions', 507, {
      type: 'array',
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          required('contains_null', 509, 'boolean'),
          optional('contains_nan', 518, 'boolean'),
          optional('lower_bound', 510, 'bytes'),
          optional('upper_bound', 511, 'bytes'),
        ],
      },
      'element-id': 508,
    }),
    optional('key_metadata', 519, 'bytes'),
  ],
}
