import * as avro from 'avsc'
import { randomBytes } from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'

/**
 * Avro object container files (https://avro.apache.org/docs/1.11.1/specification/#object-container-files),
 * both ways, for any record schema: what Iceberg manifests and manifest lists are stored as.
 * Pure: avsc for the records, node:zlib for the deflate codec, no IO.
 *
 *   header: magic "Obj\x01" · meta map<bytes> (`avro.schema`, `avro.codec`, the caller's keys) ·
 *           16-byte sync marker
 *   blocks: record count long · byte size long · records (deflated) · the header's sync marker
 */

/** A decoded container file: its header metadata (every key, UTF-8), the writer's type and its records. */
export interface ObjectContainer {
  readonly meta: Record<string, string>
  /** The writer's type, from the `avro.schema` header. */
  readonly type: avro.Type
  readonly records: unknown[]
}

/** What `writeObjectContainer` needs besides the records. */
export interface ObjectContainerWriteOptions {
  /** The schema as the caller wrote it, attributes and all; stored verbatim as `avro.schema`. */
  readonly schema: object
  /** The type the records are encoded with: `schema` compiled with the caller's hooks and logical types. */
  readonly type: avro.Type
  /** Header keys besides `avro.schema` and `avro.codec`, as UTF-8 text. */
  readonly meta: Readonly<Record<string, string>>
  /** What the file is, for error messages (`manifest list of snapshot 42`). */
  readonly what: string
}

/** Reads container files, compiling each distinct writer schema once. */
export interface ObjectContainerReader {
  /** Decodes `bytes` (codecs null and deflate); throws RECORD_INVALID naming `what` for anything unreadable. */
  read(bytes: Uint8Array, what: string): ObjectContainer
}

/** Turns a writer schema (parsed from the header) into the type its records are read with. */
export type ContainerTypeFactory = (schema: unknown, what: string) => avro.Type

const magic = Buffer.from([0x4f, 0x62, 0x6a, 0x01]) // "Obj" 1
const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
})
/** Block counts and sizes: small longs, plain numbers. */
const blockLong = avro.Type.forSchema('long')
/** Uncompressed bytes per block before a new one starts (Avro Java's default is 64 000; bigger blocks deflate better and every reader takes them). */
const blockBytes = 1 << 20

interface AvroHeader {
  magic: Buffer
  meta: Record<string, Buffer>
  sync: Buffer
}

/**
 * Encodes `records` as one deflate-compressed container file.
 *
 * Written here rather than with avsc's BlockEncoder: given a Type, BlockEncoder writes the
 * Type's exported schema, which drops attributes such as Iceberg's `field-id`; given the raw
 * schema, it builds its own Type, whose longs are JS numbers that cannot hold 63-bit snapshot
 * ids. Here `avro.schema` is the raw schema text and the records go through the caller's `type`.
 */
export function writeObjectContainer(records: readonly object[], options: ObjectContainerWriteOptions): Uint8Array {
  const { schema, type, meta, what } = options
  const sync = randomBytes(16)
  const headerMeta: Record<string, Buffer> = {}
  for (const [key, value] of Object.entries(meta)) headerMeta[key] = Buffer.from(value, 'utf8')
  headerMeta['avro.schema'] = Buffer.from(JSON.stringify(schema), 'utf8')
  headerMeta['avro.codec'] = Buffer.from('deflate', 'utf8')
  const header: AvroHeader = { magic, meta: headerMeta, sync }
  const chunks: Buffer[] = [headerType.toBuffer(header)]
  let pending: Buffer[] = []
  let pendingBytes = 0
  const flush = (): void => {
    if (pending.length === 0) return
    const data = deflateRawSync(Buffer.concat(pending))
    chunks.push(blockLong.toBuffer(pending.length), blockLong.toBuffer(data.length), data, sync)
    pending = []
    pendingBytes = 0
  }
  records.forEach((record, i) => {
    const body = encodeRecord(type, record, `${what}, record ${i}`)
    pending.push(body)
    pendingBytes += body.length
    if (pendingBytes >= blockBytes) flush()
  })
  flush()
  return Buffer.concat(chunks)
}

function encodeRecord(type: avro.Type, record: object, what: string): Buffer {
  try {
    return type.toBuffer(record)
  } catch (err) {
    const problems: string[] = []
    type.isValid(record, {
      errorHook: (path, value, fieldType) => {
        const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : value instanceof Uint8Array ? `${value.length} bytes` : String(value)
        problems.push(`${path.join('.') || '(record)'}: ${shown} is not a valid ${fieldType.typeName === 'abstract:long' ? 'long (bigint)' : fieldType.typeName}`)
      },
    })
    throw new WorkbenchError(ErrorCode.RecordInvalid, `${what} does not fit its Avro schema: ${problems.length ? problems.join('; ') : errorMessage(err)}`, false, { cause: err })
  }
}

/**
 * A reader whose writer types come from `typeOf`. Compiled types are kept by schema text: every
 * manifest of a table carries the same schema, and avsc compiles each type into generated
 * functions, so maintenance, which reads every manifest of every snapshot each round, spent more
 * time compiling than decoding. Bounded: a catalog of many tables and partition specs keeps the
 * most recent `cachedTypes`.
 */
export function createObjectContainerReader(typeOf: ContainerTypeFactory, cachedTypes = 256): ObjectContainerReader {
  const types = new Map<string, avro.Type>()
  const readerType = (schemaText: string, what: string, invalid: InvalidFile): avro.Type => {
    const cached = types.get(schemaText)
    if (cached) return cached
    let schema: unknown
    try {
      schema = JSON.parse(schemaText)
    } catch (err) {
      throw invalid(`avro.schema is not JSON: ${errorMessage(err)}`, err)
    }
    const type = typeOf(schema, what)
    if (types.size >= cachedTypes) types.delete(types.keys().next().value!)
    types.set(schemaText, type)
    return type
  }
  return { read: (bytes, what) => readContainer(bytes, what, readerType) }
}

type InvalidFile = (message: string, cause?: unknown) => WorkbenchError

function readContainer(bytes: Uint8Array, what: string, readerType: (schemaText: string, what: string, invalid: InvalidFile) => avro.Type): ObjectContainer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const invalid: InvalidFile = (message, cause) =>
    new WorkbenchError(ErrorCode.RecordInvalid, `${what} is not a readable Avro object container file: ${message}`, false, cause === undefined ? undefined : { cause })
  if (buf.length < 4 || !buf.subarray(0, 4).equals(magic)) throw invalid(`expected the magic bytes 4f 62 6a 01 ("Obj\\x01"), got ${buf.subarray(0, 4).toString('hex') || 'nothing'}`)
  let header: AvroHeader
  let pos: number
  try {
    const decoded = headerType.decode(buf, 0)
    if (decoded.offset < 0) throw invalid(`the header is truncated (${buf.length} bytes in all)`)
    header = decoded.value as AvroHeader
    pos = decoded.offset
  } catch (err) {
    throw err instanceof WorkbenchError ? err : invalid(`the header does not decode: ${errorMessage(err)}`, err)
  }
  const meta: Record<string, string> = {}
  for (const [key, value] of Object.entries(header.meta)) meta[key] = value.toString('utf8')
  const codec = meta['avro.codec'] ?? 'null'
  if (codec !== 'null' && codec !== 'deflate') throw invalid(`codec ${JSON.stringify(codec)} is not supported; the workbench reads null and deflate (what Iceberg writes by default)`)
  const schemaText = meta['avro.schema']
  if (schemaText === undefined) throw invalid('the header has no avro.schema')
  const type = readerType(schemaText, what, invalid)
  const records: unknown[] = []
  let block = 0
  while (pos < buf.length) {
    try {
      const count = blockLong.decode(buf, pos)
      const size = count.offset < 0 ? count : blockLong.decode(buf, count.offset)
      const start = size.offset
      const end = start + Number(size.value)
      if (count.offset < 0 || start < 0 || end + 16 > buf.length) throw invalid(`block ${block} at byte ${pos} is truncated (file has ${buf.length} bytes)`)
      if (!buf.subarray(end, end + 16).equals(header.sync)) throw invalid(`block ${block} does not end with the header's sync marker: corrupt or truncated`)
      const data = codec === 'deflate' ? inflateRawSync(buf.subarray(start, end)) : buf.subarray(start, end)
      let at = 0
      for (let i = 0; i < Number(count.value); i++) {
        let record: { value: unknown; offset: number }
        try {
          record = type.decode(data, at)
        } catch (err) {
          // A logical type's own refusal (an empty decimal, say) keeps its message and gains the file's name.
          throw invalid(`block ${block} does not decode: ${errorMessage(err)}`, err)
        }
        if (record.offset < 0) throw invalid(`block ${block} ends inside record ${i} of ${String(count.value)}`)
        records.push(record.value)
        at = record.offset
      }
      pos = end + 16
      block++
    } catch (err) {
      throw err instanceof WorkbenchError ? err : invalid(`block ${block} does not decode: ${errorMessage(err)}`, err)
    }
  }
  return { meta, type, records }
}
