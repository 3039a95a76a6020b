import * as fs from 'node:fs'
import Module, { createRequire } from 'node:module'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { recordBatchDecoderInstalled } from '../../../lib/internal'

/** The CommonJS require kafkajs itself uses (its module cache is what the patch fills). */
const load = createRequire(__filename)
const src = path.join(path.dirname(load.resolve('kafkajs')), 'src')
const at = (...p: string[]): string => path.join(src, ...p)
const decoderFile = at('protocol', 'recordBatch', 'v0', 'decoder.js')

/** kafkajs 2.2.4's own record batch decoder, compiled from its file apart from the module cache. */
function originalDecoder(): (d: unknown) => Promise<unknown> {
  const m = new Module(`${decoderFile}#original`) as Module & { _compile(code: string, file: string): void; paths: string[] }
  m.filename = decoderFile
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(decoderFile))
  m._compile(fs.readFileSync(decoderFile, 'utf8'), decoderFile)
  return m.exports as (d: unknown) => Promise<unknown>
}

/* eslint-disable @typescript-eslint/no-require-imports */
const Decoder = require(at('protocol', 'decoder.js')) as new (b: Buffer) => unknown
const { RecordBatch } = require(at('protocol', 'recordBatch', 'v0', 'index.js')) as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> }
const Record = require(at('protocol', 'recordBatch', 'record', 'v0', 'index.js')) as (o: object) => unknown
const { Types } = require(at('protocol', 'message', 'compression', 'index.js')) as { Types: Record<string, number> }
/* eslint-enable @typescript-eslint/no-require-imports */

interface Spec {
  readonly compression?: number
  readonly firstOffset?: string
  readonly firstTimestamp?: number
  readonly records: ReadonlyArray<{ key?: Buffer | null; value?: Buffer | null; headers?: Record<string, Buffer | Buffer[]>; timestampDelta?: number; offsetDelta?: number }>
  /** Bits to set in the batch attributes after encoding (kafkajs checks no CRC): 0x8 log-append time, 0x20 control. */
  readonly attributeBits?: number
}

async function encode(spec: Spec): Promise<Buffer> {
  const records = spec.records.map((r, i) => Record({ offsetDelta: r.offsetDelta ?? i, timestampDelta: r.timestampDelta ?? i * 7, key: r.key, value: r.value, headers: r.headers ?? {} }))
  const ts = spec.firstTimestamp ?? 1_764_900_000_000
  const { buffer } = await RecordBatch({ compression: spec.compression ?? Types.None, firstOffset: spec.firstOffset ?? '1000', firstTimestamp: ts, maxTimestamp: ts + 999, lastOffsetDelta: Math.max(0, spec.records.length - 1), producerId: 4242, producerEpoch: 3, firstSequence: 0, transactional: true, records })
  // firstOffset (8) + length (4) + leader epoch (4) + magic (1) + CRC (4) → attributes (int16)
  if (spec.attributeBits) buffer.writeInt16BE(buffer.readInt16BE(21) | spec.attributeBits, 21)
  return buffer
}

/** Both decoders over two batches back to back in one buffer, as a fetch response holds them. */
async function both(specs: Spec[]): Promise<{ ours: unknown[]; theirs: unknown[] }> {
  const buf = Buffer.concat(await Promise.all(specs.map(encode)))
  const ours = load(decoderFile) as (d: unknown) => Promise<unknown>
  // Sequential: each call moves the shared decoder.
  const run = async (fn: (d: unknown) => Promise<unknown>): Promise<unknown[]> => {
    const d = new Decoder(buf)
    const out: unknown[] = []
    for (let i = 0; i < specs.length; i++) out.push(await fn(d))
    return out
  }
  return { ours: await run(ours), theirs: await run(originalDecoder()) }
}

const text = (s: string): Buffer => Buffer.from(s)
const values = (n: number): Spec['records'] => Array.from({ length: n }, (_, i) => ({ key: text(`SYM${i % 7}`), value: Buffer.from([0, 0, 0, 0, 3 + (i % 2), ...text(`payload-${i}`.repeat(1 + (i % 5)))]) }))

describe('kafkajs record batch decoder (kafkajs-record-batch.ts)', () => {
  it('is the decoder kafkajs loads once lib is imported', () => {
    expect(recordBatchDecoderInstalled).toBe(true)
  })

  const cases: Array<[string, Spec[]]> = [
    ['uncompressed records', [{ records: values(50) }]],
    ['zstd, two batches back to back', [{ compression: Types.ZSTD, records: values(300) }, { compression: Types.ZSTD, firstOffset: '1300', records: values(20) }]],
    ['gzip', [{ compression: Types.GZIP, records: values(40) }]],
    ['null keys and null values', [{ records: [{ key: null, value: text('a') }, { key: text('k'), value: null }, { key: null, value: null }] }]],
    ['headers, a repeated key folded into an array', [{ records: [{ key: text('k'), value: text('v'), headers: { source: text('replay'), trace: [text('a'), text('b'), text('c')] } }, { value: text('w'), headers: { 'ü-key': text('é') } }] }]],
    ['negative and 7-byte timestamp deltas', [{ records: [{ value: text('a'), timestampDelta: -5 }, { value: text('b'), timestampDelta: 2 ** 40 }, { value: text('c'), timestampDelta: -(2 ** 44) }] }]],
    ['a timestamp delta past 7 bytes (kafkajs decides)', [{ records: [{ value: text('a'), timestampDelta: 2 ** 50 }, { value: text('b'), timestampDelta: 3 }] }]],
    ['offsets past 2^53 (kafkajs decides)', [{ firstOffset: '9007199254740990', records: values(5) }]],
    ['log-append time', [{ attributeBits: 0x8, records: values(3) }]],
    ['a control batch', [{ attributeBits: 0x20, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 1]) }] }]],
    ['an empty batch', [{ records: [] }, { compression: Types.ZSTD, records: [] }]],
  ]
  it.each(cases)('decodes %s exactly as kafkajs does', async (_name, specs) => {
    const { ours, theirs } = await both(specs)
    expect(ours).toEqual(theirs)
    // Keys and values are Buffers with the same bytes (toEqual compares their contents).
    const first = (ours[0] as { records: Array<{ value: unknown }> }).records[0]
    if (first?.value) expect(Buffer.isBuffer(first.value)).toBe(true)
  })

  it('refuses a partial batch the way kafkajs does, so a fetch keeps its whole batches', async () => {
    const whole = await encode({ compression: Types.ZSTD, records: values(30) })
    const cut = whole.subarray(0, whole.length - 10)
    const ours = load(decoderFile) as (d: unknown) => Promise<unknown>
    await expect(ours(new Decoder(cut))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' })
    await expect(originalDecoder()(new Decoder(cut))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' })
  })
})
