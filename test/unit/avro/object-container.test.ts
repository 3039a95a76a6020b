import * as avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { createAvroType, createObjectContainerReader, writeObjectContainer, type AvroSchema } from '../../../lib/internal'
import { ErrorCode, isWorkbenchError } from '../../../lib/internal'

// A record schema with attributes avsc does not know (Iceberg's field ids): they must reach the
// file's avro.schema header untouched, and its longs must keep 64 bits.
const schema = {
  type: 'record',
  name: 'event',
  fields: [
    { name: 'id', type: 'long', 'field-id': 1 },
    { name: 'name', type: 'string', 'field-id': 2 },
    { name: 'tags', type: { type: 'array', items: 'string', 'element-id': 4 }, 'field-id': 3 },
  ],
}
const type = createAvroType(schema)
const typeOf = (s: unknown): avro.Type => createAvroType(s as AvroSchema)

interface Event {
  id: bigint
  name: string
  tags: string[]
}
const event = (i: number): Event => ({ id: (1n << 62n) + BigInt(i), name: `event ${i}`, tags: i % 3 === 0 ? [] : [`t${i}`, 'x'] })

/** What avsc's own container decoder reads from `bytes`: header metadata and records, longs as numbers. */
function readWithAvsc(bytes: Uint8Array): Promise<{ meta: Record<string, string>; records: unknown[] }> {
  return new Promise((resolve, reject) => {
    const meta: Record<string, string> = {}
    const records: unknown[] = []
    const decoder = new avro.streams.BlockDecoder()
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      for (const [k, v] of Object.entries(header.meta)) meta[k] = v.toString()
    })
    decoder.on('data', (r: unknown) => records.push(r))
    decoder.on('end', () => resolve({ meta, records }))
    decoder.on('error', reject)
    decoder.end(Buffer.from(bytes))
  })
}

/** A container file written by avsc itself, with the given codec. */
function writeWithAvsc(records: readonly object[], codec: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const plain = avro.Type.forSchema({ type: 'record', name: 'small', fields: [{ name: 'n', type: 'int' }] })
    const encoder = new avro.streams.BlockEncoder(plain, { codec, codecs: { null: (b: Buffer, cb: (err: null, out: Buffer) => void) => cb(null, b), custom: (b: Buffer, cb: (err: null, out: Buffer) => void) => cb(null, b) } })
    encoder.on('data', (c: Buffer) => chunks.push(c))
    encoder.on('end', () => resolve(Buffer.concat(chunks)))
    encoder.on('error', reject)
    for (const r of records) encoder.write(r)
    encoder.end()
  })
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

describe('writeObjectContainer', () => {
  it('writes a file avsc reads record for record, with the raw schema and the caller\'s header keys', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ ...event(i), id: BigInt(i) }))
    const bytes = writeObjectContainer(records, { schema, type, meta: { 'format-version': '2' }, what: 'events' })
    const { meta, records: read } = await readWithAvsc(bytes)
    expect(meta['format-version']).toBe('2')
    expect(meta['avro.codec']).toBe('deflate')
    expect(JSON.parse(meta['avro.schema'] ?? '')).toEqual(schema) // field-id and element-id kept
    expect(read).toEqual(records.map((r) => ({ ...r, id: Number(r.id) })))
  })

  it('splits a large file into blocks that avsc and the reader both read whole', async () => {
    // ~2.5 MB of barely compressible names: more than one 1 MiB block.
    const records = Array.from({ length: 20_000 }, (_, i) => ({ ...event(i), id: BigInt(i), name: `${i}:${Math.random().toString(36).repeat(4)}` })) // ids avsc's own longs hold
    const bytes = Buffer.from(writeObjectContainer(records, { schema, type, meta: {}, what: 'events' }))
    // The sync marker ends the header and every block: three or more means two or more blocks.
    const sync = bytes.subarray(bytes.length - 16)
    let markers = 0
    for (let at = bytes.indexOf(sync); at >= 0; at = bytes.indexOf(sync, at + 16)) markers++
    expect(markers).toBeGreaterThanOrEqual(3)
    expect((await readWithAvsc(bytes)).records).toHaveLength(records.length)
    expect(createObjectContainerReader(typeOf).read(bytes, 'events').records).toEqual(records)
  })

  it('refuses a record that does not fit, naming the file, record and field', () => {
    const bad = [event(0), { ...event(1), id: 5 }]
    const err = thrown(() => writeObjectContainer(bad, { schema, type, meta: {}, what: 'events file' }))
    expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
    expect(err.message).toMatch(/events file, record 1 does not fit its Avro schema: id: 5 is not a valid long \(bigint\)/)
  })
})

describe('createObjectContainerReader', () => {
  it('reads back what was written: 64-bit longs exact, header metadata, the writer type', () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ ...event(i), id: (1n << 63n) - 1n - BigInt(i) }))
    const bytes = writeObjectContainer(records, { schema, type, meta: { note: 'héllo' }, what: 'events' })
    const { meta, type: writerType, records: read } = createObjectContainerReader(typeOf).read(bytes, 'events')
    expect(read).toEqual(records)
    expect(meta.note).toBe('héllo')
    expect((writerType as avro.types.RecordType).fields.map((f) => f.name)).toEqual(['id', 'name', 'tags'])
  })

  it('reads files other writers wrote with the null codec', async () => {
    const bytes = await writeWithAvsc([{ n: 1 }, { n: -2 }], 'null')
    expect(createObjectContainerReader(typeOf).read(bytes, 'small').records).toEqual([{ n: 1 }, { n: -2 }])
  })

  it('compiles a schema once per reader, and keeps only the most recent ones', () => {
    const a = writeObjectContainer([event(1)], { schema, type, meta: {}, what: 'a' })
    const otherSchema = { ...schema, name: 'other' }
    const b = writeObjectContainer([event(2)], { schema: otherSchema, type: createAvroType(otherSchema), meta: {}, what: 'b' })
    let compiled = 0
    const counting = (s: unknown): avro.Type => {
      compiled++
      return typeOf(s)
    }
    const reader = createObjectContainerReader(counting, 1)
    expect(reader.read(a, 'a').type).toBe(reader.read(a, 'a').type)
    expect(compiled).toBe(1)
    reader.read(b, 'b') // evicts a's type
    reader.read(a, 'a')
    expect(compiled).toBe(3)
  })

  it.each([
    ['bytes that are not a container', async () => Uint8Array.of(1, 2, 3, 4, 5), /events is not a readable Avro object container file: expected the magic bytes 4f 62 6a 01/],
    ['nothing at all', async () => new Uint8Array(0), /magic bytes .* got nothing/],
    ['a header cut short', async () => writeObjectContainer([], { schema, type, meta: {}, what: 'events' }).subarray(0, 30), /header is truncated|header does not decode/],
    ['a codec it does not read', async () => writeWithAvsc([{ n: 1 }], 'custom'), /codec "custom" is not supported/],
    ['a last block cut short', async () => {
      const bytes = writeObjectContainer([event(1), event(2)], { schema, type, meta: {}, what: 'events' })
      return bytes.subarray(0, bytes.length - 20)
    }, /block 0 at byte \d+ is truncated/],
    ['a block with the wrong sync marker', async () => {
      const bytes = Buffer.from(writeObjectContainer([event(1)], { schema, type, meta: {}, what: 'events' }))
      bytes[bytes.length - 1] ^= 0xff
      return bytes
    }, /block 0 does not end with the header's sync marker/],
  ])('refuses %s, naming the file', async (_what, make, message) => {
    const bytes = await make()
    const err = thrown(() => createObjectContainerReader(typeOf).read(bytes, 'events'))
    expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
    expect(err.message).toMatch(message)
  })
})
