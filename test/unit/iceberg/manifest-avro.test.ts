import * as fs from 'node:fs'
import * as path from 'node:path'
import * as avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { ErrorCode, isWorkbenchError } from '../../../lib/internal'
import {
  decodeManifest,
  decodeManifestList,
  encodeManifest,
  encodeManifestList,
  inheritEntry,
  manifestPartitionSummaries,
  type InheritedManifestEntry,
  type PartitionTupleField,
} from '../../../lib/internal'
import { EntryStatus, FileContent, ManifestContent } from '../../../lib/internal'
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, PartitionValue, Schema } from '../../../lib/internal'

// --- fixtures: tables written by Spark, the Iceberg Java API and Athena (see their README) ------

const fixtureRoot = [path.resolve(__dirname, '../../fixtures/iceberg'), '/work/shared/fixtures/iceberg'].find((dir) => fs.existsSync(path.join(dir, 'README.md')))

function fixture(table: string, file: string): Buffer {
  if (fixtureRoot === undefined) throw new Error('Iceberg fixtures not found: expected test/fixtures/iceberg or /work/shared/fixtures/iceberg')
  return fs.readFileSync(path.join(fixtureRoot, table, 'metadata', file))
}

function fixtureFiles(table: string, pattern: RegExp): string[] {
  if (fixtureRoot === undefined) throw new Error('Iceberg fixtures not found: expected test/fixtures/iceberg or /work/shared/fixtures/iceberg')
  return fs.readdirSync(path.join(fixtureRoot, table, 'metadata')).filter((f) => pattern.test(f))
}

/** A manifest's location in table metadata → its file name here (`s3a://hyperparam-iceberg/spark/bunnies/metadata/x.avro` → `x.avro`). */
const baseName = (location: string): string => location.slice(location.lastIndexOf('/') + 1)

const tables = ['spark/bunnies', 'java/bunnies', 'spark/rename_column', 'athena/example']
/** Athena writes `s3://` locations; Spark and the Java API were configured with Hadoop's `s3a://`. */
const locationPrefix = (table: string): string => `${table.startsWith('athena/') ? 's3' : 's3a'}://hyperparam-iceberg/${table}/`

/** The current snapshot of each metadata version in the README's row-count table, with its rows. */
const snapshots: ReadonlyArray<{ table: string; versions: string; snapshotId: bigint; rows: bigint }> = [
  { table: 'spark/bunnies', versions: 'v1, v2', snapshotId: 7505300640432048841n, rows: 21n },
  { table: 'spark/bunnies', versions: 'v3, v4', snapshotId: 469881615898633426n, rows: 20n },
  { table: 'spark/bunnies', versions: 'v5', snapshotId: 2701171901096418979n, rows: 20n },
  { table: 'java/bunnies', versions: 'v2, v3', snapshotId: 4951213507629824583n, rows: 21n },
  { table: 'java/bunnies', versions: 'v4', snapshotId: 6458828015811002920n, rows: 15n },
  { table: 'java/bunnies', versions: 'v5', snapshotId: 9158179788527662767n, rows: 15n },
  { table: 'spark/rename_column', versions: 'v2, v3', snapshotId: 5276958600260276572n, rows: 4n },
  { table: 'athena/example', versions: '00001', snapshotId: 6838723292707092922n, rows: 2n },
]

/** Every live entry of a snapshot, inherited, with the manifest it came from. */
async function liveEntries(table: string, snapshotId: bigint): Promise<Array<{ manifest: ManifestFile; entry: InheritedManifestEntry }>> {
  const [listFile] = fixtureFiles(table, new RegExp(`^snap-${snapshotId}-`))
  if (listFile === undefined) throw new Error(`no manifest list for snapshot ${snapshotId} in ${table}`)
  const out: Array<{ manifest: ManifestFile; entry: InheritedManifestEntry }> = []
  for (const manifest of await decodeManifestList(fixture(table, listFile))) {
    const { entries } = await decodeManifest(fixture(table, baseName(manifest.manifestPath)))
    for (const e of entries) if (e.status !== EntryStatus.Deleted) out.push({ manifest, entry: inheritEntry(e, manifest) })
  }
  return out
}

if (fixtureRoot === undefined) process.stdout.write('manifest-avro: Iceberg fixtures not found (../shared); the checks against other engines\' manifests, and the comparisons of the schemas written here with Spark\'s and Java\'s, are skipped\n')
describe.skipIf(fixtureRoot === undefined)('decoding manifests and manifest lists written by other engines', () => {
  it.each(snapshots)('$table $versions: live data rows minus applicable delete rows = README row count', async ({ table, snapshotId, rows }) => {
    const live = (await liveEntries(table, snapshotId)).map((l) => l.entry)
    const data = live.filter((e) => e.dataFile.content === FileContent.Data)
    const dataRows = data.reduce((sum, e) => sum + e.dataFile.recordCount, 0n)
    // Spec "Scan Planning": a position delete applies to data files with a data sequence number
    // <= its own, an equality delete to those with one < its own. Each delete row of these
    // fixtures removes exactly one row, so its record count is the rows it removes.
    const deletedRows = live
      .filter((d) => d.dataFile.content !== FileContent.Data)
      .filter((d) => data.some((e) => (d.dataFile.content === FileContent.PositionDeletes ? e.sequenceNumber <= d.sequenceNumber : e.sequenceNumber < d.sequenceNumber)))
      .reduce((sum, d) => sum + d.dataFile.recordCount, 0n)
    expect(dataRows - deletedRows).toBe(rows)
  })

  it('reads the concrete row and delete counts of each snapshot', async () => {
    const counts = async (table: string, id: bigint): Promise<string> => {
      const live = (await liveEntries(table, id)).map((l) => l.entry)
      const sum = (content: FileContent): bigint => live.filter((e) => e.dataFile.content === content).reduce((s, e) => s + e.dataFile.recordCount, 0n)
      return `data ${sum(FileContent.Data)}, position deletes ${sum(FileContent.PositionDeletes)}, equality deletes ${sum(FileContent.EqualityDeletes)}`
    }
    expect(await counts('spark/bunnies', 469881615898633426n)).toBe('data 21, position deletes 1, equality deletes 0')
    expect(await counts('spark/bunnies', 2701171901096418979n)).toBe('data 20, position deletes 1, equality deletes 0') // the delete now targets a removed file
    expect(await counts('java/bunnies', 6458828015811002920n)).toBe('data 21, position deletes 6, equality deletes 0')
    expect(await counts('java/bunnies', 9158179788527662767n)).toBe('data 22, position deletes 6, equality deletes 1')
  })

  it.each(tables)('%s: every manifest and data file lives under the table location; manifest lengths are the file sizes', async (table) => {
    for (const listFile of fixtureFiles(table, /^snap-.*\.avro$/)) {
      const manifests = await decodeManifestList(fixture(table, listFile))
      expect(manifests.length).toBeGreaterThan(0)
      for (const m of manifests) {
        expect(m.manifestPath.startsWith(`${locationPrefix(table)}metadata/`)).toBe(true)
        expect(m.manifestLength).toBe(BigInt(fixture(table, baseName(m.manifestPath)).length))
        const { entries } = await decodeManifest(fixture(table, baseName(m.manifestPath)))
        expect(entries.length).toBe(m.addedFilesCount + m.existingFilesCount + m.deletedFilesCount)
        for (const e of entries) {
          expect(e.dataFile.filePath.startsWith(`${locationPrefix(table)}data/`)).toBe(true)
          expect(e.dataFile.fileFormat).toBe('PARQUET')
          expect(e.dataFile.content === FileContent.Data).toBe(m.content === ManifestContent.Data)
        }
        expect(entries.filter((e) => e.status === EntryStatus.Added).reduce((s, e) => s + e.dataFile.recordCount, 0n)).toBe(m.addedRowsCount)
        expect(entries.filter((e) => e.status === EntryStatus.Deleted).reduce((s, e) => s + e.dataFile.recordCount, 0n)).toBe(m.deletedRowsCount)
      }
    }
  })

  it('keeps 64-bit snapshot ids exact (the ids are above 2^53)', async () => {
    for (const table of tables) {
      for (const listFile of fixtureFiles(table, /^snap-.*\.avro$/)) {
        const snapshotId = BigInt(/^snap-(\d+)-/.exec(listFile)?.[1] ?? '0')
        const manifests = await decodeManifestList(fixture(table, listFile))
        // The manifests a snapshot added carry its id, digit for digit.
        const added = manifests.filter((m) => m.addedSnapshotId === snapshotId)
        expect(added.length).toBeGreaterThan(0)
        for (const m of added) {
          for (const e of (await decodeManifest(fixture(table, baseName(m.manifestPath)))).entries) expect(e.snapshotId).toBe(snapshotId)
        }
      }
    }
    expect(9158179788527662767n > 2n ** 53n).toBe(true)
  })

  it('spark/rename_column: partition tuples (bucket[4](id), identity(date)) in spec order, one with a null date', async () => {
    const { metadata, entries } = await decodeManifest(fixture('spark/rename_column', 'abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro'))
    expect(JSON.parse(metadata['partition-spec'] ?? '')).toEqual([
      { name: 'id_bucket', transform: 'bucket[4]', 'source-id': 1, 'field-id': 1000 },
      { name: 'date', transform: 'identity', 'source-id': 3, 'field-id': 1001 },
    ])
    const days = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000
    expect(entries.map((e) => e.dataFile.partition)).toEqual([
      [3, null],
      [2, days('2022-01-02')],
      [0, days('2022-01-01')],
    ])
    // Hive-style paths repeat the tuple: id_bucket=3/date=null, id_bucket=2/date=2022-01-02, ...
    for (const e of entries) {
      const [bucket, date] = e.dataFile.partition
      const dateText = typeof date === 'number' ? new Date(date * 86_400_000).toISOString().slice(0, 10) : 'null'
      expect(e.dataFile.filePath).toContain(`/id_bucket=${String(bucket)}/date=${dateText}/`)
    }
    expect(entries.reduce((s, e) => s + e.dataFile.recordCount, 0n)).toBe(4n)
  })

  it("spark/rename_column: the manifest list's partition summaries are what manifestPartitionSummaries computes", async () => {
    const [manifest] = await decodeManifestList(fixture('spark/rename_column', 'snap-5276958600260276572-1-abf62b15-903b-40b6-9e6b-26bcdceac9b3.avro'))
    const { entries } = await decodeManifest(fixture('spark/rename_column', 'abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro'))
    const partitionType: PartitionTupleField[] = [
      { id: 1000, name: 'id_bucket', type: 'int' },
      { id: 1001, name: 'date', type: 'date' },
    ]
    expect(manifest?.partitions).toEqual([
      { containsNull: false, containsNan: false, lowerBound: Uint8Array.of(0, 0, 0, 0), upperBound: Uint8Array.of(3, 0, 0, 0) },
      { containsNull: true, containsNan: false, lowerBound: Uint8Array.of(0x31, 0x4a, 0, 0), upperBound: Uint8Array.of(0x32, 0x4a, 0, 0) },
    ])
    expect(manifestPartitionSummaries(partitionType, entries)).toEqual(manifest?.partitions)
  })

  it('spark/bunnies v5: a DELETED entry keeps its own sequence numbers, an ADDED one inherits the manifest list entry', async () => {
    const manifests = await decodeManifestList(fixture('spark/bunnies', 'snap-2701171901096418979-1-91d5eea0-314d-4056-8818-59b825cbd38a.avro'))
    const byName = new Map(manifests.map((m) => [baseName(m.manifestPath), m]))
    const m0 = byName.get('91d5eea0-314d-4056-8818-59b825cbd38a-m0.avro')
    const m1 = byName.get('91d5eea0-314d-4056-8818-59b825cbd38a-m1.avro')
    if (!m0 || !m1) throw new Error('manifests of snapshot 2701171901096418979 missing')
    const [deleted] = (await decodeManifest(fixture('spark/bunnies', baseName(m0.manifestPath)))).entries
    const [added] = (await decodeManifest(fixture('spark/bunnies', baseName(m1.manifestPath)))).entries
    if (!deleted || !added) throw new Error('entries missing')
    expect([deleted.status, deleted.sequenceNumber, deleted.fileSequenceNumber]).toEqual([EntryStatus.Deleted, 1n, 1n])
    expect([added.status, added.sequenceNumber, added.fileSequenceNumber]).toEqual([EntryStatus.Added, undefined, undefined])
    expect(m1.sequenceNumber).toBe(3n)
    const inherited = inheritEntry(added, m1)
    expect([inherited.snapshotId, inherited.sequenceNumber, inherited.fileSequenceNumber]).toEqual([2701171901096418979n, 3n, 3n])
    expect(inheritEntry(deleted, m0).sequenceNumber).toBe(1n)
  })

  it('java/bunnies: delete files keep their content, equality ids, split offsets and metadata-column bounds', async () => {
    const eq = (await decodeManifest(fixture('java/bunnies', 'a01399a1-e864-4562-b921-c8cb56e6e4a9-m1.avro'))).entries[0]?.dataFile
    expect(eq?.content).toBe(FileContent.EqualityDeletes)
    expect(eq?.equalityIds).toEqual([1])
    expect(eq?.splitOffsets).toEqual([4n])
    expect(Buffer.from(eq?.lowerBounds?.get(1) ?? []).toString()).toBe('New Zealand')
    const pos = (await decodeManifest(fixture('java/bunnies', 'e1756967-c907-47e2-8b37-82123c5e5908-m0.avro'))).entries[0]?.dataFile
    expect(pos?.content).toBe(FileContent.PositionDeletes)
    expect(pos?.recordCount).toBe(6n)
    expect(pos?.sortOrderId).toBeUndefined() // Java writes null for position delete files
    // Bounds on the reserved columns file_path (2147483546, truncated to 16 chars) and pos (2147483545).
    expect(Buffer.from(pos?.lowerBounds?.get(2147483546) ?? []).toString()).toBe('s3a://hyperparam')
    expect(pos?.upperBounds?.get(2147483545)).toEqual(Uint8Array.of(11, 0, 0, 0, 0, 0, 0, 0))
  })

  it('reads the header metadata of each manifest', async () => {
    for (const table of tables) {
      for (const file of fixtureFiles(table, /-m\d+\.avro$/)) {
        const { metadata, entries } = await decodeManifest(fixture(table, file))
        expect(metadata['format-version']).toBe('2')
        expect(metadata['partition-spec-id']).toBe('0')
        expect(metadata.content).toBe(entries[0]?.dataFile.content === FileContent.Data ? 'data' : 'deletes')
        expect((JSON.parse(metadata.schema ?? '{}') as Schema).type).toBe('struct')
        expect(metadata['avro.schema']).toContain('"field-id":102')
      }
    }
  })

  it('says which file is which when given the other kind', async () => {
    const list = fixture('athena/example', 'snap-6838723292707092922-1-3d82674b-df1e-49b5-a7a9-05b61567065a.avro')
    const manifest = fixture('athena/example', '3d82674b-df1e-49b5-a7a9-05b61567065a-m0.avro')
    await expect(decodeManifest(list)).rejects.toThrow(/no data_file\.partition record; is this a manifest list/)
    await expect(decodeManifestList(manifest)).rejects.toThrow(/no manifest_path field; is this a manifest\?/)
  })
})

// --- writing ------------------------------------------------------------------------------------

const tableSchema: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'symbol', required: false, type: 'string' },
  ],
}

/** One partition field of each type family; two decimal(9, 2) fields share one named Avro fixed. */
const allTypes: PartitionTupleField[] = [
  { id: 1000, name: 'i', type: 'int' },
  { id: 1001, name: 'l', type: 'long' },
  { id: 1002, name: 'd', type: 'date' },
  { id: 1003, name: 'ts', type: 'timestamp' },
  { id: 1004, name: 'tstz', type: 'timestamptz' },
  { id: 1005, name: 's', type: 'string' },
  { id: 1006, name: 'b', type: 'boolean' },
  { id: 1007, name: 'f', type: 'float' },
  { id: 1008, name: 'db', type: 'double' },
  { id: 1009, name: 'bin', type: 'binary' },
  { id: 1010, name: 'price', type: 'decimal(9, 2)' },
  { id: 1011, name: 'cost', type: 'decimal(9,2)' },
  { id: 1012, name: 'big', type: 'decimal(38, 10)' },
  { id: 1013, name: 'fx', type: 'fixed[3]' },
  { id: 1014, name: 'u', type: 'uuid' },
  { id: 1015, name: '1st day', type: 'date' }, // not an Avro name: written as _1st_x20day, read by position
]
const allTypesSpec: PartitionSpec = { 'spec-id': 7, fields: allTypes.map((f, i) => ({ 'source-id': 1 + (i % 2), 'field-id': f.id, name: f.name, transform: 'identity' })) }

const randomInt = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1))
const randomBig = (bits: number): bigint => {
  let n = 0n
  for (let i = 0; i < bits; i += 16) n = (n << 16n) | BigInt(randomInt(0, 0xffff))
  return BigInt.asIntN(bits, n)
}
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => randomInt(0, 255))
const maybe = <T>(make: () => T): T | null => (Math.random() < 0.25 ? null : make())
/** Snapshot ids near the top of the int64 range, where a JS number would round them. */
const nearMaxId = (): bigint => (1n << 63n) - 1n - BigInt(randomInt(0, 1_000_000))

function randomPartition(): PartitionValue[] {
  const uuidHex = Buffer.from(randomBytes(16)).toString('hex')
  return [
    maybe(() => randomInt(-(2 ** 31), 2 ** 31 - 1)),
    maybe(() => randomBig(64)),
    maybe(() => randomInt(-100_000, 100_000)),
    maybe(() => randomBig(64)),
    maybe(() => randomBig(64)),
    maybe(() => `sym-${randomInt(0, 1e6)}-ü😀`),
    maybe(() => Math.random() < 0.5),
    maybe(() => Math.fround((Math.random() - 0.5) * 1e6)),
    maybe(() => (Math.random() < 0.1 ? Number.NaN : (Math.random() - 0.5) * 1e300)),
    maybe(() => randomBytes(randomInt(0, 20))),
    maybe(() => BigInt(randomInt(-999_999_999, 999_999_999))),
    maybe(() => -1n),
    maybe(() => (Math.random() < 0.5 ? -1n : 1n) * (10n ** 38n - 1n - BigInt(randomInt(0, 1000)))),
    maybe(() => randomBytes(3)),
    maybe(() => `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-${uuidHex.slice(12, 16)}-${uuidHex.slice(16, 20)}-${uuidHex.slice(20)}`),
    maybe(() => randomInt(0, 20_000)),
  ]
}

function randomCounts(): Map<number, bigint> {
  const m = new Map<number, bigint>()
  for (let i = 0, n = randomInt(0, 5); i < n; i++) m.set(randomInt(1, 2 ** 31 - 1), randomBig(63) < 0n ? -randomBig(32) : randomBig(63))
  return m
}

function randomBounds(): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>()
  for (let i = 0, n = randomInt(0, 5); i < n; i++) m.set(randomInt(1, 2 ** 31 - 1), randomBytes(randomInt(0, 16)))
  return m
}

function randomEntry(content: FileContent): ManifestEntry {
  const status = randomInt(0, 2) as EntryStatus
  const inherits = status === EntryStatus.Added && Math.random() < 0.5
  const dataFile: DataFile = {
    content,
    filePath: `s3://warehouse/market/trades/data/${randomInt(0, 1e9)}.parquet`,
    fileFormat: 'PARQUET',
    partition: randomPartition(),
    recordCount: randomBig(63) & ((1n << 62n) - 1n),
    fileSizeInBytes: BigInt(randomInt(0, 2 ** 40)),
    ...(Math.random() < 0.8 ? { columnSizes: randomCounts(), valueCounts: randomCounts(), nullValueCounts: randomCounts() } : {}),
    ...(Math.random() < 0.5 ? { nanValueCounts: randomCounts() } : {}),
    ...(Math.random() < 0.8 ? { lowerBounds: randomBounds(), upperBounds: randomBounds() } : {}),
    ...(Math.random() < 0.5 ? { splitOffsets: [4n, BigInt(randomInt(5, 2 ** 40))] } : {}),
    ...(content === FileContent.EqualityDeletes ? { equalityIds: [1, 2] } : {}),
    ...(Math.random() < 0.5 ? { sortOrderId: randomInt(0, 3) } : {}),
  }
  return {
    status,
    ...(Math.random() < 0.3 ? {} : { snapshotId: nearMaxId() }),
    ...(inherits ? {} : { sequenceNumber: randomBig(63) & ((1n << 62n) - 1n), fileSequenceNumber: BigInt(randomInt(0, 1e9)) }),
    dataFile,
  }
}

const encodeAllTypes = (content: ManifestContent, entries: readonly ManifestEntry[]): Promise<Uint8Array> =>
  encodeManifest({ schema: tableSchema, spec: allTypesSpec, partitionType: allTypes, content, formatVersion: 2, entries })

/** The file's header, read with avsc's own container reader (an independent check of the framing). */
async function readWithAvsc(bytes: Uint8Array): Promise<{ meta: Record<string, string>; records: unknown[] }> {
  const bigintLong = avro.types.LongType.__with({
    fromBuffer: (b: Buffer) => b.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const b = Buffer.alloc(8)
      b.writeBigInt64LE(n)
      return b
    },
    fromJSON: (v: unknown) => BigInt(v as string),
    toJSON: (n: bigint) => Number(n),
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  })
  const typeHook = (s: unknown): avro.Type | undefined => ((typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as { type?: unknown }).type : s) === 'long' ? bigintLong : undefined)
  return new Promise((resolve, reject) => {
    const meta: Record<string, string> = {}
    const records: unknown[] = []
    const decoder = new avro.streams.BlockDecoder({ parseHook: (schema) => avro.Type.forSchema(schema, { typeHook }) })
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      for (const [k, v] of Object.entries(header.meta)) meta[k] = v.toString()
    })
    decoder.on('data', (r: unknown) => records.push(r))
    decoder.on('end', () => resolve({ meta, records }))
    decoder.on('error', reject)
    decoder.end(Buffer.from(bytes))
  })
}

interface AvroFieldSchema {
  name: string
  type: unknown
  'field-id'?: number
}

/** Every record field in an Avro schema, as dotted path → field-id; arrays' element ids as path → element-id. */
function fieldIds(schema: unknown, prefix = '', out = new Map<string, number | undefined>()): Map<string, number | undefined> {
  if (Array.isArray(schema)) for (const branch of schema) fieldIds(branch, prefix, out)
  else if (typeof schema === 'object' && schema !== null) {
    const s = schema as { type: string; fields?: AvroFieldSchema[]; items?: unknown; 'element-id'?: number }
    if (s.type === 'record') {
      for (const f of s.fields ?? []) {
        const p = prefix ? `${prefix}.${f.name}` : f.name
        out.set(p, f['field-id'])
        fieldIds(f.type, p, out)
      }
    } else if (s.type === 'array') {
      if (s['element-id'] !== undefined) out.set(`${prefix}[]`, s['element-id'])
      fieldIds(s.items, prefix, out)
    }
  }
  return out
}

/** A schema without `doc`s (Java writes them; ids, names and types are what must match). */
const withoutDocs = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema, (k, v: unknown) => (k === 'doc' ? undefined : v)))

describe('encodeManifest / decodeManifest', () => {
  it('round-trips random entries: every partition type, 64-bit ids near 2^63, decimals, NaN and nulls', async () => {
    for (let round = 0; round < 20; round++) {
      const content = round % 2 === 0 ? ManifestContent.Data : ManifestContent.Deletes
      const fileContent = content === ManifestContent.Data ? FileContent.Data : round % 4 === 1 ? FileContent.PositionDeletes : FileContent.EqualityDeletes
      const entries = Array.from({ length: randomInt(0, 40) }, () => randomEntry(fileContent))
      const decoded = await decodeManifest(await encodeAllTypes(content, entries))
      expect(decoded.entries).toEqual(entries)
    }
  })

  it('writes the avro.schema Java writes, with a field-id on every field, and the header keys', async () => {
    const partitionType: PartitionTupleField[] = [
      { id: 1000, name: 'id_bucket', type: 'int' },
      { id: 1001, name: 'date', type: 'date' },
    ]
    const spec: PartitionSpec = {
      'spec-id': 0,
      fields: [
        { name: 'id_bucket', transform: 'bucket[4]', 'source-id': 1, 'field-id': 1000 },
        { name: 'date', transform: 'identity', 'source-id': 3, 'field-id': 1001 },
      ],
    }
    const bytes = await encodeManifest({ schema: tableSchema, spec, partitionType, content: ManifestContent.Data, formatVersion: 2, entries: [] })
    const { meta } = await readWithAvsc(bytes)
    expect(Object.keys(meta).sort()).toEqual(['avro.codec', 'avro.schema', 'content', 'format-version', 'partition-spec', 'partition-spec-id', 'schema', 'schema-id'])
    expect(meta).toMatchObject({ 'format-version': '2', content: 'data', 'partition-spec-id': '0', 'schema-id': '3', 'avro.codec': 'deflate' })
    expect(JSON.parse(meta.schema ?? '')).toEqual(tableSchema)
    expect(JSON.parse(meta['partition-spec'] ?? '')).toEqual(spec.fields)
    const written: unknown = JSON.parse(meta['avro.schema'] ?? '')
    const ids = fieldIds(written)
    expect([...ids].filter(([, id]) => id === undefined)).toEqual([])
    expect(Object.fromEntries(ids)).toEqual({
      status: 0,
      snapshot_id: 1,
      sequence_number: 3,
      file_sequence_number: 4,
      data_file: 2,
      'data_file.content': 134,
      'data_file.file_path': 100,
      'data_file.file_format': 101,
      'data_file.partition': 102,
      'data_file.partition.id_bucket': 1000,
      'data_file.partition.date': 1001,
      'data_file.record_count': 103,
      'data_file.file_size_in_bytes': 104,
      'data_file.column_sizes': 108,
      'data_file.column_sizes.key': 117,
      'data_file.column_sizes.value': 118,
      'data_file.value_counts': 109,
      'data_file.value_counts.key': 119,
      'data_file.value_counts.value': 120,
      'data_file.null_value_counts': 110,
      'data_file.null_value_counts.key': 121,
      'data_file.null_value_counts.value': 122,
      'data_file.nan_value_counts': 137,
      'data_file.nan_value_counts.key': 138,
      'data_file.nan_value_counts.value': 139,
      'data_file.lower_bounds': 125,
      'data_file.lower_bounds.key': 126,
      'data_file.lower_bounds.value': 127,
      'data_file.upper_bounds': 128,
      'data_file.upper_bounds.key': 129,
      'data_file.upper_bounds.value': 130,
      'data_file.key_metadata': 131,
      'data_file.split_offsets': 132,
      'data_file.split_offsets[]': 133,
      'data_file.equality_ids': 135,
      'data_file.equality_ids[]': 136,
      'data_file.sort_order_id': 140,
    })
    // Identical, docs aside, to what Spark wrote for the same partition spec (where the fixtures are).
    if (fixtureRoot !== undefined) {
      const spark = await decodeManifest(fixture('spark/rename_column', 'abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro'))
      expect(written).toEqual(withoutDocs(JSON.parse(spark.metadata['avro.schema'] ?? '')))
    }
  })

  it('maps partition types to Avro per spec Appendix A, declaring each named fixed once', async () => {
    const { meta } = await readWithAvsc(await encodeAllTypes(ManifestContent.Data, []))
    const schema = JSON.parse(meta['avro.schema'] ?? '') as { fields: AvroFieldSchema[] }
    const dataFile = schema.fields.find((f) => f.name === 'data_file')?.type as { fields: AvroFieldSchema[] }
    const partition = dataFile.fields.find((f) => f.name === 'partition')?.type as { name: string; fields: AvroFieldSchema[] }
    expect(partition.name).toBe('r102')
    expect(partition.fields.map((f) => [f.name, f['field-id'], f.type])).toEqual([
      ['i', 1000, ['null', 'int']],
      ['l', 1001, ['null', 'long']],
      ['d', 1002, ['null', { type: 'int', logicalType: 'date' }]],
      ['ts', 1003, ['null', { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false }]],
      ['tstz', 1004, ['null', { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true }]],
      ['s', 1005, ['null', 'string']],
      ['b', 1006, ['null', 'boolean']],
      ['f', 1007, ['null', 'float']],
      ['db', 1008, ['null', 'double']],
      ['bin', 1009, ['null', 'bytes']],
      ['price', 1010, ['null', { type: 'fixed', name: 'decimal_9_2', size: 4, logicalType: 'decimal', precision: 9, scale: 2 }]],
      ['cost', 1011, ['null', 'decimal_9_2']],
      ['big', 1012, ['null', { type: 'fixed', name: 'decimal_38_10', size: 16, logicalType: 'decimal', precision: 38, scale: 10 }]],
      ['fx', 1013, ['null', { type: 'fixed', name: 'fixed_3', size: 3 }]],
      ['u', 1014, ['null', { type: 'fixed', name: 'uuid_fixed', size: 16, logicalType: 'uuid' }]],
      ['_1st_x20day', 1015, ['null', { type: 'int', logicalType: 'date' }]],
    ])
    for (const f of partition.fields) expect((f as unknown as { default: unknown }).default).toBeNull()
  })

  it('writes a file avsc reads back record for record', async () => {
    const entries = Array.from({ length: 5 }, () => randomEntry(FileContent.Data))
    const bytes = await encodeAllTypes(ManifestContent.Data, entries)
    const { records } = await readWithAvsc(bytes)
    expect(records.map((r) => (r as { snapshot_id: bigint | null }).snapshot_id)).toEqual(entries.map((e) => e.snapshotId ?? null))
    expect(records.map((r) => (r as { data_file: { file_path: string } }).data_file.file_path)).toEqual(entries.map((e) => e.dataFile.filePath))
  })

  it('refuses what does not fit, naming the entry and field', async () => {
    const entry = randomEntry(FileContent.Data)
    const badPartition = { ...entry, dataFile: { ...entry.dataFile, partition: entry.dataFile.partition.map((v, i) => (i === 10 ? 14.2 : v)) } }
    await expect(encodeAllTypes(ManifestContent.Data, [badPartition])).rejects.toThrow(/partition field price \(decimal\(9, 2\)\) takes a bigint \(the unscaled value\) or null, got number 14\.2/)
    const tooWide = { ...entry, dataFile: { ...entry.dataFile, partition: entry.dataFile.partition.map((v, i) => (i === 10 ? 10n ** 12n : v)) } }
    await expect(encodeAllTypes(ManifestContent.Data, [tooWide])).rejects.toThrow(/manifest, record 0 does not fit its Avro schema: data_file\.partition\.price/)
    const shortTuple = { ...entry, dataFile: { ...entry.dataFile, partition: [1] } }
    await expect(encodeAllTypes(ManifestContent.Data, [shortTuple])).rejects.toThrow(/has 1 partition values; the spec has 16 fields/)
    await expect(encodeAllTypes(ManifestContent.Deletes, [entry])).rejects.toThrow(/has file content 0 but the manifest holds deletes/)
    const numberCount = { ...entry, dataFile: { ...entry.dataFile, recordCount: 5 as unknown as bigint } }
    const err: unknown = await encodeAllTypes(ManifestContent.Data, [numberCount]).catch((e: unknown) => e)
    expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
    expect(String(err)).toMatch(/data_file\.record_count: 5 is not a valid long \(bigint\)/)
    await expect(
      encodeManifest({ schema: tableSchema, spec: allTypesSpec, partitionType: allTypes.slice(1), content: ManifestContent.Data, formatVersion: 2, entries: [] }),
    ).rejects.toThrow(/partitionType must list spec 7's fields in order/)
  })

  it('refuses bytes that are not an Avro container, or are cut short', async () => {
    await expect(decodeManifest(Uint8Array.of(1, 2, 3, 4, 5))).rejects.toThrow(/expected the magic bytes 4f 62 6a 01/)
    const bytes = await encodeAllTypes(ManifestContent.Data, [randomEntry(FileContent.Data)])
    const err: unknown = await decodeManifest(bytes.subarray(0, bytes.length - 20)).catch((e: unknown) => e)
    expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
    expect(String(err)).toMatch(/manifest is not a readable Avro object container file: block 0/)
  })
})

describe('encodeManifestList / decodeManifestList', () => {
  const manifestFile = (over: Partial<ManifestFile> = {}): ManifestFile => ({
    manifestPath: `s3://warehouse/market/trades/metadata/${randomInt(0, 1e9)}-m0.avro`,
    manifestLength: BigInt(randomInt(1, 1e7)),
    partitionSpecId: randomInt(0, 5),
    content: ManifestContent.Data,
    sequenceNumber: BigInt(randomInt(1, 1000)),
    minSequenceNumber: BigInt(randomInt(1, 1000)),
    addedSnapshotId: nearMaxId(),
    addedFilesCount: randomInt(0, 100),
    existingFilesCount: randomInt(0, 100),
    deletedFilesCount: randomInt(0, 100),
    addedRowsCount: randomBig(62) & ((1n << 62n) - 1n),
    existingRowsCount: BigInt(randomInt(0, 1e6)),
    deletedRowsCount: 0n,
    ...over,
  })

  it('round-trips manifests with 64-bit ids, summaries and key metadata', async () => {
    const manifests = [
      manifestFile({ partitions: [{ containsNull: true, containsNan: false, lowerBound: Uint8Array.of(1, 0, 0, 0), upperBound: Uint8Array.of(9, 0, 0, 0) }, { containsNull: false }] }),
      manifestFile({ content: ManifestContent.Deletes, keyMetadata: Uint8Array.of(7, 7) }),
      manifestFile({ partitions: [] }),
    ]
    const bytes = await encodeManifestList({ snapshotId: nearMaxId(), sequenceNumber: 1001n, formatVersion: 2, manifests })
    expect(await decodeManifestList(bytes)).toEqual(manifests)
  })

  it('gives manifests written for this commit (sequence number -1) the snapshot sequence number', async () => {
    const snapshotId = nearMaxId()
    const mine = manifestFile({ addedSnapshotId: snapshotId, sequenceNumber: -1n, minSequenceNumber: -1n })
    const older = manifestFile({ sequenceNumber: 4n, minSequenceNumber: 2n })
    const [a, b] = await decodeManifestList(await encodeManifestList({ snapshotId, sequenceNumber: 5n, formatVersion: 2, manifests: [mine, older] }))
    expect([a?.sequenceNumber, a?.minSequenceNumber, b?.sequenceNumber, b?.minSequenceNumber]).toEqual([5n, 5n, 4n, 2n])
    await expect(encodeManifestList({ snapshotId, sequenceNumber: 5n, formatVersion: 2, manifests: [{ ...older, sequenceNumber: -1n }] })).rejects.toThrow(
      /unassigned sequence_number \(-1\) but was added by snapshot \d+, not \d+/,
    )
  })

  it('writes the manifest_file schema Java writes, with a field-id on every field, and the header keys', async () => {
    const parent = nearMaxId()
    const snapshotId = parent - 1n
    const withParent = await readWithAvsc(await encodeManifestList({ snapshotId, parentSnapshotId: parent, sequenceNumber: 12n, formatVersion: 2, manifests: [manifestFile()] }))
    expect(withParent.meta).toMatchObject({ 'snapshot-id': snapshotId.toString(), 'parent-snapshot-id': parent.toString(), 'sequence-number': '12', 'format-version': '2' })
    const { meta } = await readWithAvsc(await encodeManifestList({ snapshotId, sequenceNumber: 1n, formatVersion: 2, manifests: [] }))
    expect(Object.keys(meta).sort()).toEqual(['avro.codec', 'avro.schema', 'format-version', 'parent-snapshot-id', 'sequence-number', 'snapshot-id'])
    expect(meta['parent-snapshot-id']).toBe('null')
    const written: unknown = JSON.parse(meta['avro.schema'] ?? '')
    expect(Object.fromEntries(fieldIds(written))).toEqual({
      manifest_path: 500,
      manifest_length: 501,
      partition_spec_id: 502,
      content: 517,
      sequence_number: 515,
      min_sequence_number: 516,
      added_snapshot_id: 503,
      added_files_count: 504,
      existing_files_count: 505,
      deleted_files_count: 506,
      added_rows_count: 512,
      existing_rows_count: 513,
      deleted_rows_count: 514,
      partitions: 507,
      'partitions[]': 508,
      'partitions.contains_null': 509,
      'partitions.contains_nan': 518,
      'partitions.lower_bound': 510,
      'partitions.upper_bound': 511,
      key_metadata: 519,
    })
    // Identical, docs aside, to what the Iceberg Java API (1.8.1) wrote (where the fixtures are).
    if (fixtureRoot !== undefined) {
      const javaList = await readWithAvsc(fixture('java/bunnies', 'snap-4951213507629824583-1-583a45a0-7389-4d71-9305-ac3a8725c38b.avro'))
      expect(written).toEqual(withoutDocs(JSON.parse(javaList.meta['avro.schema'] ?? '')))
    }
  })
})

// --- format v1 (written here with avsc: the fixtures are all v2) --------------------------------

/** A container file written by avsc's own BlockEncoder, with longs as bigint. */
async function writeWithAvsc(schema: object, records: readonly object[], meta: Record<string, string>): Promise<Uint8Array> {
  const bigintLong = avro.types.LongType.__with({
    fromBuffer: (b: Buffer) => b.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const b = Buffer.alloc(8)
      b.writeBigInt64LE(n)
      return b
    },
    fromJSON: (v: unknown) => BigInt(v as string),
    toJSON: (n: bigint) => Number(n),
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  })
  const type = avro.Type.forSchema(schema as avro.schema.AvroSchema, { typeHook: (s) => ((typeof s === 'object' && !Array.isArray(s) ? (s as { type?: unknown }).type : s) === 'long' ? bigintLong : undefined) })
  // avsc takes header metadata (`metadata`) though its typings omit it.
  const options = { metadata: Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, Buffer.from(v)])) } as unknown as ConstructorParameters<typeof avro.streams.BlockEncoder>[1]
  const encoder = new avro.streams.BlockEncoder(type, options)
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    encoder.on('data', (c: Buffer) => chunks.push(c))
    encoder.on('end', () => resolve(Buffer.concat(chunks)))
    encoder.on('error', reject)
    for (const r of records) encoder.write(r)
    encoder.end()
  })
}

describe('format v1 files', () => {
  const v1Entry = {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int' },
      { name: 'snapshot_id', type: 'long' },
      {
        name: 'data_file',
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'file_path', type: 'string' },
            { name: 'file_format', type: 'string' },
            { name: 'partition', type: { type: 'record', name: 'r102', fields: [{ name: 'day', type: ['null', { type: 'int', logicalType: 'date' }], default: null }] } },
            { name: 'record_count', type: 'long' },
            { name: 'file_size_in_bytes', type: 'long' },
            { name: 'block_size_in_bytes', type: 'long' },
            { name: 'split_offsets', type: ['null', { type: 'array', items: 'long' }], default: null },
          ],
        },
      },
    ],
  }
  const v1List = {
    type: 'record',
    name: 'manifest_file',
    fields: [
      { name: 'manifest_path', type: 'string' },
      { name: 'manifest_length', type: 'long' },
      { name: 'partition_spec_id', type: 'int' },
      { name: 'added_snapshot_id', type: 'long' },
      { name: 'added_data_files_count', type: ['null', 'int'], default: null },
      { name: 'existing_data_files_count', type: ['null', 'int'], default: null },
      { name: 'deleted_data_files_count', type: ['null', 'int'], default: null },
      { name: 'partitions', type: ['null', { type: 'array', items: { type: 'record', name: 'r508', fields: [{ name: 'contains_null', type: 'boolean' }] } }], default: null },
      { name: 'added_rows_count', type: ['null', 'long'], default: null },
    ],
  }

  it('reads v1 manifests and lists: data content, sequence numbers 0, old count names', async () => {
    const snapshotId = nearMaxId()
    const listBytes = await writeWithAvsc(
      v1List,
      [{ manifest_path: 's3://w/t/metadata/a-m0.avro', manifest_length: 100n, partition_spec_id: 0, added_snapshot_id: snapshotId, added_data_files_count: 2, existing_data_files_count: null, deleted_data_files_count: 1, partitions: [{ contains_null: true }], added_rows_count: 30n }],
      { 'snapshot-id': snapshotId.toString(), 'format-version': '1' },
    )
    const [manifest] = await decodeManifestList(listBytes)
    expect(manifest).toEqual({
      manifestPath: 's3://w/t/metadata/a-m0.avro',
      manifestLength: 100n,
      partitionSpecId: 0,
      content: ManifestContent.Data,
      sequenceNumber: 0n,
      minSequenceNumber: 0n,
      addedSnapshotId: snapshotId,
      addedFilesCount: 2,
      existingFilesCount: 0,
      deletedFilesCount: 1,
      addedRowsCount: 30n,
      existingRowsCount: 0n,
      deletedRowsCount: 0n,
      partitions: [{ containsNull: true }],
    })
    const manifestBytes = await writeWithAvsc(
      v1Entry,
      [
        { status: 1, snapshot_id: snapshotId, data_file: { file_path: 's3://w/t/data/1.parquet', file_format: 'parquet', partition: { day: 19000 }, record_count: 10n, file_size_in_bytes: 1000n, block_size_in_bytes: 67108864n, split_offsets: [4n] } },
        { status: 0, snapshot_id: snapshotId - 5n, data_file: { file_path: 's3://w/t/data/2.parquet', file_format: 'PARQUET', partition: { day: null }, record_count: 20n, file_size_in_bytes: 2000n, block_size_in_bytes: 67108864n, split_offsets: null } },
      ],
      { schema: '{}', 'partition-spec': '[]', 'format-version': '1' },
    )
    const { entries, metadata } = await decodeManifest(manifestBytes)
    expect(metadata['format-version']).toBe('1')
    expect(entries).toEqual([
      { status: EntryStatus.Added, snapshotId, dataFile: { content: FileContent.Data, filePath: 's3://w/t/data/1.parquet', fileFormat: 'PARQUET', partition: [19000], recordCount: 10n, fileSizeInBytes: 1000n, splitOffsets: [4n] } },
      { status: EntryStatus.Existing, snapshotId: snapshotId - 5n, dataFile: { content: FileContent.Data, filePath: 's3://w/t/data/2.parquet', fileFormat: 'PARQUET', partition: [null], recordCount: 20n, fileSizeInBytes: 2000n } },
    ])
    if (!manifest) throw new Error('no manifest')
    // v1: every sequence number is 0, EXISTING entries included.
    expect(entries.map((e) => inheritEntry(e, manifest)).map((e) => [e.sequenceNumber, e.fileSequenceNumber])).toEqual([
      [0n, 0n],
      [0n, 0n],
    ])
  })

  it('reads decimal partition values on bytes, minimal or sign-extended, and refuses an empty one', async () => {
    // Other writers may put decimals on bytes rather than fixed; an empty value is corrupt, not 0.
    const onBytes = JSON.parse(JSON.stringify(v1Entry).replace('{"name":"day","type":["null",{"type":"int","logicalType":"date"}],"default":null}', '{"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}],"default":null}')) as object
    expect(JSON.stringify(onBytes)).toContain('"logicalType":"decimal"')
    const entry = (price: Buffer | null): object => ({ status: 1, snapshot_id: 7, data_file: { file_path: 's3://w/t/data/1.parquet', file_format: 'PARQUET', partition: { price }, record_count: 1, file_size_in_bytes: 10, block_size_in_bytes: 10, split_offsets: null } })
    const readable = await writeRawSchemaWithAvsc(onBytes, [entry(Buffer.from('058c', 'hex')), entry(Buffer.from('fffffa74', 'hex')), entry(Buffer.from('00', 'hex')), entry(null)])
    expect((await decodeManifest(readable)).entries.map((e) => e.dataFile.partition[0])).toEqual([1420n, -1420n, 0n, null])
    const err: unknown = await decodeManifest(await writeRawSchemaWithAvsc(onBytes, [entry(Buffer.alloc(0))])).catch((e: unknown) => e)
    expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
    expect(String(err)).toMatch(/manifest is not a readable Avro object container file: block 0 does not decode: an empty byte string/)
  })
})

/** A container file avsc writes with `schema` verbatim in its header (logical types it does not know included); longs are JS numbers. */
function writeRawSchemaWithAvsc(schema: object, records: readonly object[]): Promise<Uint8Array> {
  const encoder = new avro.streams.BlockEncoder(schema as avro.schema.AvroSchema)
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    encoder.on('data', (c: Buffer) => chunks.push(c))
    encoder.on('end', () => resolve(Buffer.concat(chunks)))
    encoder.on('error', reject)
    for (const r of records) encoder.write(r)
    encoder.end()
  })
}

// --- inheritance and summaries ------------------------------------------------------------------

describe('inheritEntry', () => {
  const manifest: ManifestFile = {
    manifestPath: 's3://w/t/metadata/m.avro',
    manifestLength: 10n,
    partitionSpecId: 0,
    content: ManifestContent.Data,
    sequenceNumber: 8n,
    minSequenceNumber: 3n,
    addedSnapshotId: 9_000_000_000_000_000_001n,
    addedFilesCount: 1,
    existingFilesCount: 1,
    deletedFilesCount: 0,
    addedRowsCount: 1n,
    existingRowsCount: 1n,
    deletedRowsCount: 0n,
  }
  const dataFile: DataFile = { content: FileContent.Data, filePath: 's3://w/t/data/x.parquet', fileFormat: 'PARQUET', partition: [], recordCount: 1n, fileSizeInBytes: 1n }

  it.each([
    { status: EntryStatus.Added, own: {}, expected: [9_000_000_000_000_000_001n, 8n, 8n] },
    { status: EntryStatus.Added, own: { snapshotId: 5n, sequenceNumber: 4n, fileSequenceNumber: 6n }, expected: [5n, 4n, 6n] },
    { status: EntryStatus.Existing, own: { sequenceNumber: 3n, fileSequenceNumber: 3n }, expected: [9_000_000_000_000_000_001n, 3n, 3n] },
    { status: EntryStatus.Existing, own: { snapshotId: 2n, sequenceNumber: 3n }, expected: [2n, 3n, 3n] }, // a writer without file_sequence_number
    { status: EntryStatus.Deleted, own: { sequenceNumber: 2n, fileSequenceNumber: 1n }, expected: [9_000_000_000_000_000_001n, 2n, 1n] },
  ])('status $status with $own → [snapshot, sequence, file sequence] $expected', ({ status, own, expected }) => {
    const e = inheritEntry({ status, ...own, dataFile }, manifest)
    expect([e.snapshotId, e.sequenceNumber, e.fileSequenceNumber]).toEqual(expected)
    expect(e.dataFile).toBe(dataFile)
  })

  it('refuses a non-ADDED entry with no sequence number, and inheriting from an unassigned manifest', () => {
    expect(() => inheritEntry({ status: EntryStatus.Existing, dataFile }, manifest)).toThrow(/EXISTING entry for s3:\/\/w\/t\/data\/x\.parquet in s3:\/\/w\/t\/metadata\/m\.avro has no sequence_number/)
    expect(() => inheritEntry({ status: EntryStatus.Added, dataFile }, { ...manifest, sequenceNumber: -1n })).toThrow(/unassigned \(-1\)/)
  })
})

describe('manifestPartitionSummaries', () => {
  const entry = (partition: PartitionValue[]): ManifestEntry => ({
    status: EntryStatus.Added,
    dataFile: { content: FileContent.Data, filePath: 'x', fileFormat: 'PARQUET', partition, recordCount: 1n, fileSizeInBytes: 1n },
  })
  const types: PartitionTupleField[] = [
    { id: 1000, name: 'sym', type: 'string' },
    { id: 1001, name: 'px', type: 'double' },
    { id: 1002, name: 'hour', type: 'int' },
    { id: 1003, name: 'amt', type: 'decimal(9, 2)' },
  ]

  it('finds nulls, NaN and the lowest and highest values in the single-value encoding', () => {
    // Strings in code-point (UTF-8) order: U+FF01 sorts before U+1F600, though JS's '<' says otherwise.
    const summaries = manifestPartitionSummaries(types, [entry(['b', 2.5, null, -5n]), entry(['😀', Number.NaN, null, 300n]), entry(['\uff01', -0.5, null, null])])
    const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
    expect(summaries).toEqual([
      { containsNull: false, containsNan: false, lowerBound: utf8('b'), upperBound: utf8('😀') },
      { containsNull: false, containsNan: true, lowerBound: new Uint8Array(new Float64Array([-0.5]).buffer), upperBound: new Uint8Array(new Float64Array([2.5]).buffer) },
      { containsNull: true, containsNan: false },
      { containsNull: true, containsNan: false, lowerBound: Uint8Array.of(0xfb), upperBound: Uint8Array.of(0x01, 0x2c) },
    ])
  })

  it('summarises no entries as no nulls and no bounds', () => {
    expect(manifestPartitionSummaries(types.slice(0, 1), [])).toEqual([{ containsNull: false, containsNan: false }])
  })
})
