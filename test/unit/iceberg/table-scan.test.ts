import * as fs from 'node:fs'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../../../lib/internal'
import { ErrorCode, isWorkbenchError } from '../../../lib/internal'
import { createFileIO, type FileIO } from '../../../lib/internal'
import { encodeManifest, encodeManifestList, manifestPartitionSummaries } from '../../../lib/internal'
import { createManifestReader } from '../../../lib/internal'
import { allOf, eq, gte, isIn, isNull, lte, type ScanFilter } from '../../../lib/internal'
import { encodeSingleValue } from '../../../lib/internal'
import { EntryStatus, FileContent, ManifestContent } from '../../../lib/internal'
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, Schema, TableMetadata } from '../../../lib/internal'
import type { ObjectStore } from '../../../lib/internal'
import { createLocalStore } from '../../../lib/internal'
import { parseTableMetadata, partitionType } from '../../../lib/internal'
import { columnNamesById, planScan, readMetadataFile, type ScanOptions, type ScanPlan } from '../../../lib/internal'
import { applyTransform, transformResultType } from '../../../lib/internal'

// --- fixtures: tables written by Spark, the Iceberg Java API and Athena (see their README) ------
// CI checks out ../shared beside the repository.

const fixtureRoot = path.resolve(projectRoot, '..', 'shared', 'fixtures', 'iceberg')
const bucketPrefix = 'hyperparam-iceberg/'
/** Spark and the Java API wrote `s3a://` locations, Athena `s3://`: both map onto the fixture folder. */
const io: FileIO = createFileIO([
  { prefix: `s3a://${bucketPrefix}`, store: createLocalStore(fixtureRoot) },
  { prefix: `s3://${bucketPrefix}`, store: createLocalStore(fixtureRoot) },
])
const manifests = createManifestReader(io)

const metadataLocation = (table: string, file: string): string => `${table.startsWith('athena/') ? 's3' : 's3a'}://${bucketPrefix}${table}/metadata/${file}`
const load = (table: string, file: string): Promise<TableMetadata> => readMetadataFile(io, metadataLocation(table, file))
const plan = async (table: string, file: string, options: ScanOptions = {}): Promise<ScanPlan> => planScan({ metadata: await load(table, file), io, manifests }, options)

/** A table file's location → its path under the fixture folder. */
function localPath(location: string): string {
  const m = /^s3a?:\/\/hyperparam-iceberg\/(.*)$/.exec(location)
  if (!m?.[1]) throw new Error(`${location} is not in the fixture bucket`)
  return path.join(fixtureRoot, m[1])
}

// --- reading the planned Parquet files with DuckDB, by field id -------------------------------

let duck: DuckDBInstance
let db: DuckDBConnection

// A user's clone has no ../shared: these checks then skip, and say so.
const haveFixtures = fs.existsSync(path.join(fixtureRoot, 'README.md'))
if (!haveFixtures) process.stdout.write(`table-scan: Iceberg fixtures not found at ${fixtureRoot}; the checks against Spark, Java and Athena tables are skipped\n`)
const describeFixtures = haveFixtures ? describe : describe.skip

beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:')
  db = await duck.connect()
})

afterAll(() => {
  db?.closeSync()
  duck?.closeSync()
})

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`
const sqlIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`

/** The DuckDB type of an Iceberg primitive column (the types these fixtures use). */
function duckType(type: unknown): string {
  const simple: Record<string, string> = { boolean: 'BOOLEAN', int: 'INTEGER', long: 'BIGINT', float: 'FLOAT', double: 'DOUBLE', date: 'DATE', string: 'VARCHAR', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ' }
  const known = typeof type === 'string' ? simple[type] : undefined
  if (known !== undefined) return known
  const decimal = typeof type === 'string' ? /^decimal\((\d+),\s*(\d+)\)$/.exec(type) : null
  if (decimal) return `DECIMAL(${decimal[1]}, ${decimal[2]})`
  throw new Error(`no DuckDB type for ${JSON.stringify(type)} in this test`)
}

/**
 * `read_parquet` over the plan's files with the schema mapped by Parquet field id: DuckDB's
 * `schema` parameter renames each field to its current name, and a field a file lacks (a
 * column added later) reads as NULL. Names in the files may be old (renamed) or escaped.
 */
function scanSql(p: ScanPlan): string {
  const names = columnNamesById(p.schema)
  const entries = p.schema.fields.map((f) => `${f.id}: {name: ${sqlString(names.get(f.id) ?? '')}, type: ${sqlString(duckType(f.type))}, default_value: NULL}`)
  const files = p.files.map((f) => sqlString(localPath(f.path))).join(', ')
  return `read_parquet([${files}], hive_partitioning = false, schema = map {${entries.join(', ')}})`
}

async function rows(sql: string): Promise<unknown[][]> {
  return (await db.runAndReadAll(sql)).getRows()
}

async function countRows(p: ScanPlan): Promise<bigint> {
  if (p.files.length === 0) return 0n
  const [[n]] = (await rows(`SELECT count(*) FROM ${scanSql(p)}`)) as [[bigint]]
  return n
}

function thrownBy(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err as Error,
  )
}

// --- every metadata version of the README's row-count table ----------------------------------

/**
 * What the metadata says, checked against the README's counts. The README groups
 * spark/bunnies v3–v5 and java/bunnies v3+ as "involving deletes"; the manifests say:
 * - spark/bunnies v3, v4 (snapshot 469881615898633426): a position delete (sequence 2) on the
 *   21-row data file (sequence 1): it applies → refused (README: 20).
 * - spark/bunnies v5 (2701171901096418979): the delete file is still live, but the overwrite
 *   rewrote the data (sequence 3 > 2), so it applies to nothing: the 20 rows read as they are.
 * - java/bunnies v3: only a schema change; same snapshot as v2, no delete files: 21 rows.
 * - java/bunnies v4 (6 position deletes) and v5 (plus 1 equality delete): refused (README: 15).
 */
const versions: ReadonlyArray<{ table: string; file: string; snapshotId: bigint; rows?: bigint; refused?: { readmeRows: bigint; readInstead: bigint; kinds: RegExp } }> = [
  { table: 'spark/bunnies', file: 'v2.metadata.json', snapshotId: 7505300640432048841n, rows: 21n },
  { table: 'spark/bunnies', file: 'v3.metadata.json', snapshotId: 469881615898633426n, refused: { readmeRows: 20n, readInstead: 7505300640432048841n, kinds: /has 1 position delete file that applies to 1 of the 1 data files/ } },
  { table: 'spark/bunnies', file: 'v4.metadata.json', snapshotId: 469881615898633426n, refused: { readmeRows: 20n, readInstead: 7505300640432048841n, kinds: /has 1 position delete file / } },
  { table: 'spark/bunnies', file: 'v5.metadata.json', snapshotId: 2701171901096418979n, rows: 20n },
  { table: 'java/bunnies', file: 'v2.metadata.json', snapshotId: 4951213507629824583n, rows: 21n },
  { table: 'java/bunnies', file: 'v3.metadata.json', snapshotId: 4951213507629824583n, rows: 21n },
  { table: 'java/bunnies', file: 'v4.metadata.json', snapshotId: 6458828015811002920n, refused: { readmeRows: 15n, readInstead: 4951213507629824583n, kinds: /has 1 position delete file / } },
  { table: 'java/bunnies', file: 'v5.metadata.json', snapshotId: 9158179788527662767n, refused: { readmeRows: 15n, readInstead: 4951213507629824583n, kinds: /has 1 position and 1 equality delete files that apply to 1 of the 2 data files/ } },
  { table: 'spark/rename_column', file: 'v2.metadata.json', snapshotId: 5276958600260276572n, rows: 4n },
  { table: 'spark/rename_column', file: 'v3.metadata.json', snapshotId: 5276958600260276572n, rows: 4n },
  { table: 'athena/example', file: '00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json', snapshotId: 6838723292707092922n, rows: 2n },
]

describeFixtures('planScan on tables written by Spark, the Iceberg Java API and Athena', () => {
  it.each(versions.filter((v) => v.rows !== undefined))('$table $file: plans snapshot $snapshotId; DuckDB reads the README row count from the planned files', async ({ table, file, snapshotId, rows: expected }) => {
    const p = await plan(table, file)
    expect(p.snapshot?.['snapshot-id']).toBe(snapshotId)
    expect(p.files.length).toBeGreaterThan(0)
    expect(p.files.reduce((s, f) => s + f.recordCount, 0n)).toBe(expected)
    expect(await countRows(p)).toBe(expected)
    expect(p.stats).toEqual({ manifestsTotal: p.stats.manifestsTotal, manifestsPruned: 0, filesTotal: p.files.length, filesPruned: 0 })
  })

  it.each(versions.filter((v) => v.refused !== undefined))('$table $file: snapshot $snapshotId has delete files that apply, so it is refused', async ({ table, file, snapshotId, refused }) => {
    const metadata = await load(table, file)
    const err = await thrownBy(planScan({ metadata, io, manifests }))
    expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
    expect(err.message).toContain(`snapshot ${snapshotId} of s3a://hyperparam-iceberg/${table} has`)
    expect(err.message).toMatch(refused?.kinds ?? /never/)
    expect(err.message).toContain('the workbench reader does not apply deletes, so it refuses rather than return deleted rows')
    expect(err.message).toContain(`Read snapshot ${refused?.readInstead} (before the deletes) or compact the table`)
    // The suggested snapshot reads, and its rows are not the README's count after the deletes.
    const before = await planScan({ metadata, io, manifests }, { snapshotId: refused?.readInstead })
    const n = await countRows(before)
    expect(n).toBe(21n)
    expect(n).not.toBe(refused?.readmeRows)
  })

  it('spark/bunnies v5: the live delete file is really there, and the row it deleted is really gone from the rewritten file', async () => {
    const metadata = await load('spark/bunnies', 'v5.metadata.json')
    const list = await manifests.manifestList(metadata.snapshots.find((s) => s['snapshot-id'] === 2701171901096418979n)!)
    const deleteManifests = list.filter((m) => m.content === ManifestContent.Deletes)
    expect(deleteManifests.map((m) => [m.addedFilesCount + m.existingFilesCount, m.sequenceNumber])).toEqual([[1, 2n]])
    // The position delete (file_path, pos) names row 0 of the data file the overwrite replaced.
    const [del] = (await manifests.entries(deleteManifests[0]!)).map((e) => e.dataFile)
    const [[target, pos]] = (await rows(`SELECT file_path, pos FROM read_parquet(${sqlString(localPath(del!.filePath))})`)) as [[string, bigint]]
    const [[deletedBreed]] = (await rows(`SELECT "Breed_x20Name" FROM read_parquet(${sqlString(localPath(target))}, file_row_number = true) WHERE file_row_number = ${pos}`)) as [[string]]
    expect(deletedBreed).toBe('Holland Lop')
    const p = await planScan({ metadata, io, manifests })
    expect(p.files.map((f) => f.path)).not.toContain(target)
    expect(await rows(`SELECT count(*) FROM ${scanSql(p)} WHERE "Breed Name" = 'Holland Lop'`)).toEqual([[0n]])
    // Read by field id: the column added in schema 1 is there, under the names the schema gives.
    expect(await rows(`SELECT "Breed Name", breed_name_length FROM ${scanSql(p)} WHERE "Popularity Rank" = 2`)).toEqual([['Netherland Dwarf', 16]])
  })

  it('java/bunnies: files store escaped names (Breed_x20Name); reading by field id gives the schema names', async () => {
    const p = await plan('java/bunnies', 'v3.metadata.json')
    const fileNames = (await rows(`SELECT name FROM parquet_schema(${sqlString(localPath(p.files[0]!.path))}) WHERE field_id = 1`)).flat()
    expect(fileNames).toEqual(['Breed_x20Name'])
    expect(await rows(`SELECT "Breed Name", "__happy__" FROM ${scanSql(p)} WHERE "Popularity Rank" = 1`)).toEqual([['Holland Lop', null]])
  })

  it.each([
    ['java/bunnies', 'v1.metadata.json'],
    ['spark/rename_column', 'v1.metadata.json'],
    ['athena/example', '00000-eedf51e6-8c09-463b-8850-844ee6ec1de0.metadata.json'],
  ])('%s %s: a table with no snapshot yet plans no files', async (table, file) => {
    const p = await plan(table, file)
    expect(p.snapshot).toBeUndefined()
    expect(p.files).toEqual([])
    expect(p.schema.fields.length).toBeGreaterThan(0)
  })
})

describeFixtures('spark/rename_column: a renamed column, and pruning on bucket[4](id) / identity(date)', () => {
  it('v3 reads the column renamed date → event_date under its new name, by field id', async () => {
    const p = await plan('spark/rename_column', 'v3.metadata.json')
    expect(columnNamesById(p.schema)).toEqual(
      new Map([
        [1, 'id'],
        [2, 'name'],
        [3, 'event_date'],
        [4, 'price'],
        [5, 'active'],
      ]),
    )
    // The files still call field 3 `date`.
    for (const f of p.files) expect((await rows(`SELECT name FROM parquet_schema(${sqlString(localPath(f.path))}) WHERE field_id = 3`)).flat()).toEqual(['date'])
    const got = await rows(`SELECT id, name, CAST(event_date AS VARCHAR), CAST(price AS VARCHAR) FROM ${scanSql(p)} ORDER BY id`)
    expect(got).toEqual([
      [1, 'Flopsy 🐇', '2022-01-01', '9.99'],
      [2, 'Mopsy–Naïve', '2022-01-01', '-5.00'],
      [3, 'Cottontail', null, '0.00'],
      [4, 'Thumper', '2022-01-02', '99999999.99'],
    ])
    expect(await countRows(p)).toBe(4n)
  })

  it('v3 filters take the current name; the old one is an unknown column, named with the ones there are', async () => {
    const err = await thrownBy(plan('spark/rename_column', 'v3.metadata.json', { filter: eq('date', 18993) }))
    expect(isWorkbenchError(err, ErrorCode.ConfigInvalid)).toBe(true)
    expect(err.message).toBe('filter on unknown column "date": schema 1 has "id", "name", "event_date", "price", "active"')
    // v2, before the rename, still calls it date.
    expect((await plan('spark/rename_column', 'v2.metadata.json', { filter: eq('date', 18993) })).files).toHaveLength(1)
  })

  const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000
  it.each<[string, ScanFilter, { files: number; filesPruned: number; manifestsPruned: number; ids: number[] }]>([
    ['id = 4 (bucket 2)', eq('id', 4), { files: 1, filesPruned: 2, manifestsPruned: 0, ids: [4] }],
    ['id = 1 (bucket 0, shared with id 2)', eq('id', 1), { files: 1, filesPruned: 2, manifestsPruned: 0, ids: [1] }],
    ['id = 5 (bucket 3, the file of id 3: bounds prune it)', eq('id', 5), { files: 0, filesPruned: 3, manifestsPruned: 0, ids: [] }],
    ['id in (3, 4)', isIn('id', [3, 4]), { files: 2, filesPruned: 1, manifestsPruned: 0, ids: [3, 4] }],
    ['event_date = 2022-01-01 (identity partition)', eq('event_date', day('2022-01-01')), { files: 1, filesPruned: 2, manifestsPruned: 0, ids: [1, 2] }],
    ['event_date is null (the null partition)', isNull('event_date'), { files: 1, filesPruned: 2, manifestsPruned: 0, ids: [3] }],
    ['event_date >= 2023-01-01 (outside the manifest summary)', gte('event_date', new Date('2023-01-01T00:00:00Z')), { files: 0, filesPruned: 0, manifestsPruned: 1, ids: [] }],
  ])('%s', async (_name, filter, expected) => {
    const p = await plan('spark/rename_column', 'v3.metadata.json', { filter })
    expect({ files: p.files.length, filesPruned: p.stats.filesPruned, manifestsPruned: p.stats.manifestsPruned }).toEqual({
      files: expected.files,
      filesPruned: expected.filesPruned,
      manifestsPruned: expected.manifestsPruned,
    })
    expect(p.stats.manifestsTotal).toBe(1)
    expect(p.stats.filesTotal).toBe(expected.manifestsPruned === 1 ? 0 : 3)
    // Pruning loses no row: the filter over the planned files = the filter over every file.
    const all = await plan('spark/rename_column', 'v3.metadata.json')
    const where = sqlWhere(filter)
    const matching = (q: ScanPlan): Promise<unknown[][]> => (q.files.length === 0 ? Promise.resolve([]) : rows(`SELECT id FROM ${scanSql(q)} WHERE ${where} ORDER BY id`))
    expect((await matching(p)).flat()).toEqual(expected.ids)
    expect((await matching(all)).flat()).toEqual(expected.ids)
  })

  it('the partition tuples are the spec test vectors of bucket[4] on ints', async () => {
    const p = await plan('spark/rename_column', 'v3.metadata.json')
    const byId = await rows(`SELECT id, filename FROM read_parquet([${p.files.map((f) => sqlString(localPath(f.path))).join(', ')}], filename = true, hive_partitioning = false)`)
    for (const [id, filename] of byId as Array<[number, string]>) {
      const file = p.files.find((f) => localPath(f.path) === filename)
      expect(file?.partition[0]).toBe(applyTransform('bucket[4]', 'int', id))
    }
  })
})

/** The test's filters as SQL on the renamed columns. */
function sqlWhere(f: ScanFilter): string {
  if ('and' in f) return f.and.map(sqlWhere).join(' AND ')
  if ('or' in f) return f.or.map(sqlWhere).join(' OR ')
  const col = sqlIdent(f.column)
  const lit = (v: unknown): string => (v instanceof Date ? `DATE '${v.toISOString().slice(0, 10)}'` : f.column === 'event_date' ? `DATE '1970-01-01' + INTERVAL (${String(v)}) DAY` : String(v))
  switch (f.op) {
    case 'eq':
      return `${col} = ${lit(f.value)}`
    case 'gte':
      return `${col} >= ${lit(f.value)}`
    case 'in':
      return `${col} IN (${(f.values ?? []).map(lit).join(', ')})`
    case 'isNull':
      return `${col} IS NULL`
    default:
      throw new Error(`no SQL for ${f.op} in this test`)
  }
}

describeFixtures('time travel on spark/bunnies v5 (three snapshots: 21 rows, deletes, 20 rows)', () => {
  const first = 7505300640432048841n // 2025-03-30 04:54:14.186 UTC, schema 0
  const deletes = 469881615898633426n // 04:55:00.792, a position delete
  const current = 2701171901096418979n // 04:56:01.983, schema 1 (adds breed_name_length)

  it.each<[string, ScanOptions, bigint, bigint, number]>([
    ['the current snapshot', {}, current, 20n, 9],
    ['snapshotId of the first', { snapshotId: first }, first, 21n, 8],
    ['snapshotId of the current (its own schema)', { snapshotId: current }, current, 20n, 9],
    ['as of the first commit', { asOfTimestampMs: 1743310454186 }, first, 21n, 8],
    ['as of just before the delete', { asOfTimestampMs: 1743310500791 }, first, 21n, 8],
    ['as of now', { asOfTimestampMs: Date.now() }, current, 20n, 9],
  ])('%s', async (_name, options, snapshotId, count, columns) => {
    const p = await plan('spark/bunnies', 'v5.metadata.json', options)
    expect(p.snapshot?.['snapshot-id']).toBe(snapshotId)
    expect(p.schema.fields).toHaveLength(columns)
    expect(await countRows(p)).toBe(count)
  })

  it('as of the delete commit: refused, pointing back at the first snapshot', async () => {
    const err = await thrownBy(plan('spark/bunnies', 'v5.metadata.json', { asOfTimestampMs: 1743310500792 }))
    expect(err.message).toContain(`snapshot ${deletes} of s3a://hyperparam-iceberg/spark/bunnies has 1 position delete file`)
    expect(err.message).toContain(`Read snapshot ${first} (before the deletes)`)
  })

  it("Spark's column bounds prune a file; a filter on a column the time-travel schema lacks is refused", async () => {
    const rank1 = await plan('spark/bunnies', 'v5.metadata.json', { filter: eq('Popularity Rank', 1n) })
    // The rewritten file's Spark bounds on Popularity Rank are 2..21: rank 1 was the deleted row.
    expect([rank1.files.length, rank1.stats.filesTotal, rank1.stats.filesPruned]).toEqual([0, 1, 1])
    const rank5 = await plan('spark/bunnies', 'v5.metadata.json', { filter: eq('Popularity Rank', 5n) })
    expect(await rows(`SELECT "Breed Name" FROM ${scanSql(rank5)} WHERE "Popularity Rank" = 5`)).toEqual([['Rex']])
    // At the first snapshot the schema has no breed_name_length yet.
    const err = await thrownBy(plan('spark/bunnies', 'v5.metadata.json', { snapshotId: first, filter: eq('breed_name_length', 3) }))
    expect(err.message).toMatch(/^filter on unknown column "breed_name_length": schema 0 has "Breed Name", /)
  })

  it.each<[string, ScanOptions, ErrorCode, RegExp]>([
    ['before the first snapshot', { asOfTimestampMs: 1743310454185 }, ErrorCode.NotFound, /the table had no snapshot at 2025-03-30T04:54:14\.185Z; its history starts at 2025-03-30T04:54:14\.186Z/],
    ['an unknown snapshot id', { snapshotId: 42n }, ErrorCode.NotFound, /snapshot 42 is not in the table/],
    ['both a snapshot id and a time', { snapshotId: first, asOfTimestampMs: 1743310454186 }, ErrorCode.ConfigInvalid, /give snapshotId \(7505300640432048841\) or asOfTimestampMs \(1743310454186\), not both/],
  ])('%s', async (_name, options, code, message) => {
    const err = await thrownBy(plan('spark/bunnies', 'v5.metadata.json', options))
    expect(isWorkbenchError(err, code)).toBe(true)
    expect(err.message).toMatch(message)
  })
})

describeFixtures('readMetadataFile and columnNamesById', () => {
  it('keeps 64-bit snapshot ids exact', async () => {
    const m = await load('java/bunnies', 'v5.metadata.json')
    expect(m['current-snapshot-id']).toBe(9158179788527662767n)
    expect(m.snapshots.map((s) => s['snapshot-id'])).toEqual([4951213507629824583n, 6458828015811002920n, 9158179788527662767n])
  })

  it('reads gzip-compressed metadata (….gz.metadata.json) as well', async () => {
    const { gzipSync } = await import('node:zlib')
    const text = fs.readFileSync(path.join(fixtureRoot, 'java/bunnies/metadata/v5.metadata.json'))
    const gz = createFileIO([{ prefix: 'mem://', store: memoryStore(new Map([['t/v5.gz.metadata.json', new Uint8Array(gzipSync(text))]])) }])
    expect((await readMetadataFile(gz, 'mem://t/v5.gz.metadata.json'))['current-snapshot-id']).toBe(9158179788527662767n)
  })

  it('names what is not table metadata', async () => {
    const err = await thrownBy(readMetadataFile(io, 's3a://hyperparam-iceberg/spark/bunnies/metadata/version-hint.text'))
    expect(err.message).toMatch(/Iceberg table metadata: /)
    const notJson = await thrownBy(readMetadataFile(io, `s3a://${bucketPrefix}spark/bunnies/data/00000-1-6cd7611f-0ceb-4cf3-8b8e-8c856356df3e-00001.parquet`))
    expect(isWorkbenchError(notJson, ErrorCode.RecordInvalid)).toBe(true)
    expect(notJson.message).toMatch(/00001\.parquet is not a table metadata JSON file/)
  })

  it('columnNamesById gives top-level columns by id, in schema order', () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 3,
      fields: [
        { id: 7, name: 'renamed', required: false, type: 'long' },
        { id: 2, name: 'nested', required: false, type: { type: 'struct', fields: [{ id: 9, name: 'inner', required: false, type: 'int' }] } },
      ],
    }
    expect([...columnNamesById(schema)]).toEqual([
      [7, 'renamed'],
      [2, 'nested'],
    ])
  })
})

function memoryStore(files: Map<string, Uint8Array> = new Map()): ObjectStore {
  return {
    get: async (key) => {
      const f = files.get(key)
      if (!f) throw new Error(`no ${key}`)
      return f
    },
    put: async (key, body) => {
      files.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body)
    },
    delete: async (key) => {
      files.delete(key)
    },
    list: async (prefix) => [...files.keys()].filter((k) => k.startsWith(prefix)),
    listDetailed: async (prefix) => [...files].filter(([k]) => k.startsWith(prefix)).map(([key, body]) => ({ key, size: body.length, lastModifiedMs: 0 })),
    close: () => {},
  }
}

// --- which delete files apply (spec: Scan Planning), on a table written here ------------------

// Built here in memory: runs on every clone.
describe('delete files: refused only when one applies to a file the scan reads', () => {
  // Partitioned by identity(sym). Data files a (sym a, ids 1-10, data sequence 1), b (sym a,
  // ids 11-20, sequence 3), c (sym c, ids 21-30, sequence 1). Each snapshot after the first adds
  // one delete file on top of the same data.
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'sym', required: true, type: 'string' },
    ],
  }
  const bySym: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'sym', transform: 'identity' }] }
  const unpartitioned: PartitionSpec = { 'spec-id': 1, fields: [] }
  const location = 'mem://warehouse/t'
  const store = memoryStore()
  const mem = createFileIO([{ prefix: 'mem://warehouse/', store }])

  const dataFile = (name: string, sym: string, lo: bigint, hi: bigint): DataFile => ({
    content: FileContent.Data,
    filePath: `${location}/data/${name}.parquet`,
    fileFormat: 'PARQUET',
    partition: [sym],
    recordCount: hi - lo + 1n,
    fileSizeInBytes: 1000n,
    lowerBounds: new Map([[1, encodeSingleValue('long', lo)]]),
    upperBounds: new Map([[1, encodeSingleValue('long', hi)]]),
  })
  const entry = (file: DataFile, sequenceNumber: bigint): ManifestEntry => ({ status: EntryStatus.Existing, snapshotId: 1n, sequenceNumber, fileSequenceNumber: sequenceNumber, dataFile: file })
  const deleteFile = (name: string, content: FileContent, partition: string[], paths?: string): DataFile => ({
    content,
    filePath: `${location}/data/${name}-deletes.parquet`,
    fileFormat: 'PARQUET',
    partition,
    recordCount: 1n,
    fileSizeInBytes: 100n,
    ...(content === FileContent.EqualityDeletes ? { equalityIds: [1] } : {}),
    ...(paths === undefined ? {} : { lowerBounds: new Map([[2147483546, encodeSingleValue('string', paths)]]), upperBounds: new Map([[2147483546, encodeSingleValue('string', paths)]]) }),
  })

  async function manifest(name: string, spec: PartitionSpec, content: ManifestContent, entries: ManifestEntry[], snapshotId: bigint): Promise<ManifestFile> {
    const fields = partitionType(schema, spec, transformResultType)
    const bytes = await encodeManifest({ schema, spec, partitionType: fields, content, formatVersion: 2, entries })
    const manifestPath = `${location}/metadata/${name}.avro`
    await mem.write(manifestPath, bytes)
    const seqs = entries.map((e) => e.sequenceNumber ?? 0n)
    return {
      manifestPath,
      manifestLength: BigInt(bytes.length),
      partitionSpecId: spec['spec-id'],
      content,
      sequenceNumber: seqs.reduce((a, b) => (a > b ? a : b)),
      minSequenceNumber: seqs.reduce((a, b) => (a < b ? a : b)),
      addedSnapshotId: snapshotId,
      addedFilesCount: 0,
      existingFilesCount: entries.length,
      deletedFilesCount: 0,
      addedRowsCount: 0n,
      existingRowsCount: entries.reduce((n, e) => n + e.dataFile.recordCount, 0n),
      deletedRowsCount: 0n,
      partitions: manifestPartitionSummaries(fields, entries),
    }
  }

  let metadata: TableMetadata
  beforeAll(async () => {
    const data = await manifest('data', bySym, ManifestContent.Data, [entry(dataFile('a', 'a', 1n, 10n), 1n), entry(dataFile('b', 'a', 11n, 20n), 3n), entry(dataFile('c', 'c', 21n, 30n), 1n)], 1n)
    const deletes: Record<string, ManifestFile> = {
      // 2: an equality delete in partition a, sequence 3: applies to a (1 < 3), not b (3 = 3), not c (other partition).
      '2': await manifest('eq', bySym, ManifestContent.Deletes, [entry(deleteFile('eq', FileContent.EqualityDeletes, ['a']), 3n)], 2n),
      // 3: a position delete naming only b (file_path bounds), sequence 3: applies to b (3 <= 3), not a (path outside the bounds).
      '3': await manifest('pos', bySym, ManifestContent.Deletes, [entry(deleteFile('pos', FileContent.PositionDeletes, ['a'], `${location}/data/b.parquet`), 3n)], 3n),
      // 4: an equality delete of the unpartitioned spec, sequence 2: global, applies to a and c (1 < 2), not b.
      '4': await manifest('global', unpartitioned, ManifestContent.Deletes, [entry(deleteFile('global', FileContent.EqualityDeletes, []), 2n)], 4n),
      // 5: a v3 deletion vector (a PUFFIN position delete) naming b, sequence 3: applies to b only.
      '5': await manifest('dv', bySym, ManifestContent.Deletes, [entry({ ...deleteFile('dv', FileContent.PositionDeletes, ['a'], `${location}/data/b.parquet`), fileFormat: 'PUFFIN', filePath: `${location}/data/dv.puffin` }, 3n)], 5n),
    }
    const snapshots = [1n, 2n, 3n, 4n, 5n].map((id) => ({
      'snapshot-id': id,
      ...(id === 1n ? {} : { 'parent-snapshot-id': 1n }),
      'sequence-number': 3n,
      'timestamp-ms': 1_700_000_000_000 + Number(id),
      'manifest-list': `${location}/metadata/snap-${id}.avro`,
      summary: { operation: id === 1n ? 'append' : 'delete' },
      'schema-id': 0,
    }))
    for (const s of snapshots) {
      const extra = deletes[String(s['snapshot-id'])]
      await mem.write(s['manifest-list'], await encodeManifestList({ snapshotId: s['snapshot-id'], sequenceNumber: 3n, formatVersion: 2, manifests: extra ? [data, extra] : [data] }))
    }
    metadata = parseTableMetadata({
      'format-version': 2,
      'table-uuid': '00000000-0000-4000-8000-000000000000',
      location,
      'last-sequence-number': 3,
      'last-updated-ms': 1_700_000_000_004,
      'last-column-id': 2,
      schemas: [schema],
      'current-schema-id': 0,
      'partition-specs': [bySym, unpartitioned],
      'default-spec-id': 0,
      'last-partition-id': 1000,
      'current-snapshot-id': 1,
      snapshots,
      'snapshot-log': snapshots.map((s) => ({ 'snapshot-id': s['snapshot-id'], 'timestamp-ms': s['timestamp-ms'] })),
    })
  })

  it.each<[string, bigint, ScanFilter | undefined, string[] | RegExp]>([
    ['no deletes', 1n, undefined, ['a', 'b', 'c']],
    ['equality delete, whole table: applies to a', 2n, undefined, /has 1 equality delete file that applies to 1 of the 3 data files/],
    ['equality delete, only b (same sequence number: written with the delete)', 2n, allOf(gte('id', 11n), lte('id', 20n)), ['b']],
    ['equality delete, only c (another partition)', 2n, eq('sym', 'c'), ['c']],
    ['position delete, whole table: applies to b', 3n, undefined, /has 1 position delete file that applies to 1 of the 3 data files/],
    ['position delete, only a (its file_path bounds name b)', 3n, lte('id', 10n), ['a']],
    ['global equality delete, whole table: applies to a and c', 4n, undefined, /has 1 equality delete file that applies to 2 of the 3 data files/],
    ['global equality delete, only c', 4n, eq('sym', 'c'), /applies to 1 of the 1 data files/],
    ['global equality delete, only b (newer than the delete)', 4n, allOf(eq('sym', 'a'), gte('id', 11n)), ['b']],
    ['deletion vector (v3), whole table: refused as a delete that applies to b', 5n, undefined, /has 1 deletion vector \(v3\) delete file that applies to 1 of the 3 data files/],
    ['deletion vector (v3), only a and c', 5n, lte('id', 10n), ['a']],
  ])('%s', async (_name, snapshotId, filter, expected) => {
    const run = planScan({ metadata, io: mem }, { snapshotId, ...(filter ? { filter } : {}) })
    if (expected instanceof RegExp) {
      const err = await thrownBy(run)
      expect(isWorkbenchError(err, ErrorCode.RecordInvalid)).toBe(true)
      expect(err.message).toMatch(expected)
      expect(err.message).toContain(`snapshot ${snapshotId} of ${location} has`)
      expect(err.message).toContain('Read snapshot 1 (before the deletes)')
    } else {
      expect((await run).files.map((f) => path.basename(f.path, '.parquet'))).toEqual(expected)
    }
  })
})

describe('v1 metadata that lists its manifests in the snapshot (no manifest list)', () => {
  it('plans the files of the embedded manifests', async () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] }
    const spec: PartitionSpec = { 'spec-id': 0, fields: [] }
    const location = 'mem://warehouse/v1'
    const mem = createFileIO([{ prefix: 'mem://warehouse/', store: memoryStore() }])
    const file = (name: string, rows: bigint): DataFile => ({ content: FileContent.Data, filePath: `${location}/data/${name}.parquet`, fileFormat: 'PARQUET', partition: [], recordCount: rows, fileSizeInBytes: 100n })
    const paths: string[] = []
    for (const [i, names] of [['a', 'b'], ['c']].entries()) {
      const entries: ManifestEntry[] = names.map((n) => ({ status: EntryStatus.Added, snapshotId: 7n, dataFile: file(n, 10n) }))
      const p = `${location}/metadata/m${i}.avro`
      await mem.write(p, await encodeManifest({ schema, spec, partitionType: [], content: ManifestContent.Data, formatVersion: 2, entries }))
      paths.push(p)
    }
    const metadata = parseTableMetadata({
      'format-version': 1,
      'table-uuid': '00000000-0000-4000-8000-000000000001',
      location,
      'last-updated-ms': 1_700_000_000_000,
      'last-column-id': 1,
      schema,
      'partition-spec': [],
      'current-snapshot-id': 7,
      snapshots: [{ 'snapshot-id': 7, 'timestamp-ms': 1_700_000_000_000, manifests: paths, summary: { operation: 'append' } }],
    })
    const p = await planScan({ metadata, io: mem })
    expect(p.files.map((f) => path.basename(f.path, '.parquet')).sort()).toEqual(['a', 'b', 'c'])
    expect(p.files.reduce((n, f) => n + f.recordCount, 0n)).toBe(30n)
  })
})
