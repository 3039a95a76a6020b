import { AvroBodyReader } from '../avro/body-reader'
import type { AvroSchema } from '../avro/avsc-types'
import { quoteSchema, tradeSchema } from '../avro/codec'
import { flatRecordFields, sameFlatType, type FlatField, type FlatFieldType } from '../avro/flat-record'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { joinStringList, type StringDictionary, type TailColumn } from './tail-columns'

/**
 * The Kafka tail's fast path: a decoder compiled once per writer schema id that reads a Confluent
 * wire-format value straight into the tail's column arrays, with no record object, no decimal
 * text, no string for a value its column's dictionary has seen, and no per-field type dispatch.
 * It produces exactly what the reference path produces (RecordSerde.deserializeX, then
 * TableDesign.row, then TailColumn.fromRowValue and the column's dictionary code; tests compare
 * the two on random records) and is strictly less forgiving: it throws on anything it does not
 * read the same way, and the tail then decodes that record with the reference path, so every
 * record is kept or skipped exactly as before.
 */
export type ColumnDecoder = (message: Buffer, columns: unknown[][], row: number) => void

/** How the records of one topic map onto its table's columns. */
export interface TailRecordMapping {
  /** The schema the reference path decodes into (trade v2, quote v2). */
  readonly readerSchema: AvroSchema
  /** Avro field → table column, where the names differ. */
  readonly renames: Readonly<Record<string, string>>
  /** Values the reference path refuses (`fromAvroTrade` reads only asset_class "crypto"). */
  readonly accepts: Readonly<Record<string, (value: string) => boolean>>
}

const cryptoOnly = { asset_class: (v: string) => v === 'crypto' }

/** Trade v2 → market.trades (TableDesign `tradesTable.row`). */
export const tradeTailMapping: TailRecordMapping = {
  readerSchema: tradeSchema,
  renames: { timestamp: 'event_time', ingestion_timestamp: 'ingestion_time' },
  accepts: cryptoOnly,
}

/** Quote v2 → market.quotes (TableDesign `quotesTable.row`). */
export const quoteTailMapping: TailRecordMapping = {
  readerSchema: quoteSchema,
  renames: { timestamp: 'event_time', ingestion_timestamp: 'ingestion_time' },
  accepts: cryptoOnly,
}

/** Bytes before the Avro body in the Confluent wire format: magic byte 0, then the schema id. */
const headerBytes = 5

/** The writer schema id of a Confluent wire-format value, or undefined when it has no valid header. */
export function wireSchemaId(message: Buffer): number | undefined {
  if (message.length < headerBytes || message[0] !== 0) return undefined
  const id = message.readInt32BE(1)
  return id < 0 ? undefined : id
}

type Step = (r: AvroBodyReader, columns: unknown[][], row: number) => void

/**
 * Compiles the decoder of values written with `writerSchema` into `columns`, or returns
 * undefined when the fast path does not apply (a field it cannot read directly, a type change
 * the reader would convert, a column no field fills): the tail then uses the reference path.
 */
export function compileColumnDecoder(
  writerSchema: string | AvroSchema,
  mapping: TailRecordMapping,
  columns: readonly TailColumn[],
  /** Per column: the dictionary of a `string` column (whose values are stored as codes). */
  dictionaries: ReadonlyArray<StringDictionary | undefined>,
): ColumnDecoder | undefined {
  const writer = flatRecordFields(writerSchema)
  const reader = flatRecordFields(mapping.readerSchema)
  if (!writer || !reader) return undefined
  const columnOf = (f: FlatField): number => columns.findIndex((c) => c.field.name === (mapping.renames[f.name] ?? f.name))
  // Every column must come from a reader field.
  for (let k = 0; k < columns.length; k++) if (!reader.some((f) => columnOf(f) === k)) return undefined

  const steps: Step[] = []
  const defaults: Array<[number, unknown]> = []
  for (const w of writer) {
    const r = reader.find((f) => f.name === w.name)
    if (r && !sameFlatType(w.type, r.type)) return undefined
    const k = r ? columnOf(r) : -1
    if (k < 0) {
      steps.push(skipStep(w.type))
      continue
    }
    const step = readStep(w.type, columns[k]!, k, dictionaries[k], mapping.accepts[w.name])
    if (!step) return undefined
    steps.push(step)
  }
  for (const r of reader) {
    const k = columnOf(r)
    if (k < 0 || writer.some((w) => w.name === r.name)) continue
    // A field the writer lacks takes the reader's default (avsc resolution); without one the reference path refuses every record.
    if (!r.hasDefault) return undefined
    const value = defaultValue(r.type, r.default, columns[k]!, dictionaries[k])
    if (value === undefined) return undefined
    defaults.push([k, value])
  }

  const body = new AvroBodyReader()
  return (message, cols, row) => {
    body.reset(message, headerBytes)
    for (const step of steps) step(body, cols, row)
    body.finish()
    for (const [k, v] of defaults) cols[k]![row] = v
  }
}

function readStep(type: FlatFieldType, column: TailColumn, k: number, dictionary: StringDictionary | undefined, accepts: ((v: string) => boolean) | undefined): Step | undefined {
  switch (type.kind) {
    case 'string': {
      if (column.kind !== 'string' || !dictionary) return undefined
      if (accepts) {
        const verdicts: boolean[] = []
        return (r, cols, row) => {
          const start = r.stringBytes()
          const code = dictionary.codeOfUtf8(r.buffer, start, r.pos)
          if (!(verdicts[code] ??= accepts(dictionary.value(code)))) throw refused(column, dictionary.value(code))
          cols[k]![row] = code
        }
      }
      return (r, cols, row) => {
        const start = r.stringBytes()
        cols[k]![row] = dictionary.codeOfUtf8(r.buffer, start, r.pos)
      }
    }
    case 'long':
      if (column.kind !== 'bigint') return undefined
      return (r, cols, row) => {
        cols[k]![row] = r.exactLong()
      }
    case 'decimal': {
      if (column.kind !== 'decimal' || column.scale !== type.scale || column.precision < type.precision) return undefined
      const precision = type.precision
      return (r, cols, row) => {
        cols[k]![row] = r.decimalUnscaledExact(precision)
      }
    }
    case 'enum': {
      if (column.kind !== 'string' || !dictionary) return undefined
      const codes = type.symbols.map((s) => dictionary.code(s))
      return (r, cols, row) => {
        cols[k]![row] = codes[r.enumIndex(codes.length)]
      }
    }
    case 'array':
      if (column.kind !== 'string-list') return undefined
      return (r, cols, row) => {
        cols[k]![row] = readStringList(r)
      }
    default:
      return undefined
  }
}

function readStringList(r: AvroBodyReader): string | null {
  let items: string[] | undefined
  for (let n = r.blockCount(1); n > 0; n = r.blockCount(1)) {
    items ??= []
    while (n--) items.push(r.string())
  }
  return items ? joinStringList(items) : null
}

function skipStep(type: FlatFieldType): Step {
  switch (type.kind) {
    case 'string':
      return (r) => r.skipString()
    case 'int':
    case 'long':
      return (r) => void r.long()
    case 'decimal': {
      const precision = type.precision
      return (r) => void r.decimalUnscaled(precision)
    }
    case 'enum': {
      const count = type.symbols.length
      return (r) => void r.enumIndex(count)
    }
    case 'array':
      return (r) => {
        for (let n = r.blockCount(1); n > 0; n = r.blockCount(1)) while (n--) r.skipString()
      }
    case 'map':
      return (r) => {
        for (let n = r.blockCount(2); n > 0; n = r.blockCount(2)) {
          while (n--) {
            r.skipString()
            r.skipString()
          }
        }
      }
  }
}

/** A reader default as the column stores it, or undefined when the fast path does not produce it. */
function defaultValue(type: FlatFieldType, value: unknown, column: TailColumn, dictionary: StringDictionary | undefined): unknown {
  if (type.kind === 'long' && column.kind === 'bigint' && typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (type.kind === 'array' && column.kind === 'string-list' && Array.isArray(value) && value.every((v) => typeof v === 'string')) return joinStringList(value as string[])
  if (type.kind === 'string' && column.kind === 'string' && dictionary && typeof value === 'string') return dictionary.code(value)
  return undefined
}

function refused(column: TailColumn, value: string): WorkbenchError {
  return new WorkbenchError(ErrorCode.RecordInvalid, `column ${column.field.name} refuses ${JSON.stringify(value.slice(0, 40))}`)
}
