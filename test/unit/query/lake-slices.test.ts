import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  allOf,
  anyOf,
  createDataFileCache,
  createFileIO,
  createLakeSlices,
  createLocalStore,
  encodeSingleValue,
  gte,
  lakeFilesSql,
  lt,
  silentLogger,
  type DataFileCache,
  type LakeSlices,
  type ScanFile,
  type ScanFilter,
  type Schema,
  type SliceRead,
} from '../../../lib/internal'

/**
 * Minute slices (D93) over real Parquet files in a local store, read through the data file cache
 * and DuckDB: three files of an hour each (10,000 rows, a row every 1.08 s per file), as a
 * compacted day of trades holds them, and one late file of a single minute.
 */
const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'symbol', required: true, type: 'string' },
    { id: 2, name: 'trade_id', required: true, type: 'long' },
    { id: 3, name: 'price', required: true, type: 'decimal(18, 8)' },
    { id: 4, name: 'event_time', required: true, type: 'timestamptz' },
  ],
}
const min = 60_000_000n
const t0 = BigInt(Date.UTC(2026, 11, 6, 12, 0)) * 1000n
const at = (us: bigint): Date => new Date(Number(us / 1000n))

let root: string
let duck: DuckDBInstance
let c: DuckDBConnection
let cache: DataFileCache
const files: ScanFile[] = []

async function writeFile(name: string, symbol: string, firstId: number, rows: number, startUs: bigint, stepUs: bigint): Promise<void> {
  const local = path.join(root, 'store', `${name}.parquet`)
  await c.run(
    `COPY (SELECT '${symbol}' AS symbol, (${firstId} + i)::BIGINT AS trade_id, CAST(100 + (i % 1000) / 100 AS DECIMAL(18, 8)) AS price,
                  make_timestamptz(${startUs} + i * ${stepUs}) AS event_time FROM range(${rows}) t(i) ORDER BY symbol, event_time)
       TO '${local}' (FORMAT parquet, FIELD_IDS {symbol: 1, trade_id: 2, price: 3, event_time: 4})`,
  )
  const last = startUs + BigInt(rows - 1) * stepUs
  files.push({
    path: `s3://bucket/${name}.parquet`,
    recordCount: BigInt(rows),
    fileSizeInBytes: BigInt(fs.statSync(local).size),
    partition: [],
    specId: 0,
    dataFile: { lowerBounds: new Map([[4, encodeSingleValue('timestamptz', startUs)]]), upperBounds: new Map([[4, encodeSingleValue('timestamptz', last)]]) },
  } as unknown as ScanFile)
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-slices-'))
  fs.mkdirSync(path.join(root, 'store'))
  duck = await DuckDBInstance.create(':memory:')
  c = await duck.connect()
  for (const [k, symbol] of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].entries()) await writeFile(`hour-${k}`, symbol, 1 + k * 100_000, 10_000, t0 + BigInt(k), 360_000n)
  // A late commit: 50 trades in minute 20 only.
  await writeFile('late', 'BTCUSDT', 900_000, 50, t0 + 20n * min + 7_000_000n, 1_000_000n)
  cache = createDataFileCache({ io: createFileIO([{ prefix: 's3://bucket/', store: createLocalStore(path.join(root, 'store')) }]), dir: path.join(root, 'cache') })
})

afterAll(() => {
  c.closeSync()
  duck.closeSync()
  fs.rmSync(root, { recursive: true, force: true })
})

const open = (max = 64, dir = path.join(root, 'slices')): LakeSlices => createLakeSlices({ dir, max, connect: () => duck.connect(), cache, logger: silentLogger })

async function readOf(plan: readonly ScanFile[], filter: ScanFilter): Promise<SliceRead> {
  const locations = plan.map((f) => f.path)
  return { table: 'market.trades', plan: { files: [...plan], schema }, local: await cache.acquire(locations), locations, metadata: undefined, filter, timeColumn: 'event_time' }
}

/** The rows the read wants, in trade id order, from `sql` (the read's lake SELECT). */
async function rows(sql: string, from: bigint, to: bigint): Promise<unknown[]> {
  return (await c.runAndReadAll(`SELECT symbol, trade_id, price, event_time FROM (${sql}) WHERE event_time >= make_timestamptz(${from}) AND event_time < make_timestamptz(${to}) ORDER BY trade_id`)).getRowObjectsJson()
}

/** Asks for a read's slices once, returning what it held. */
async function slicesOf(slices: LakeSlices, read: SliceRead): Promise<string[]> {
  const held: string[] = []
  await slices.lakeSql(c, read, held)
  return held
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

describe('minute slices', () => {
  it('read a minute from a slice once it is asked for twice, with the rows of the files', async () => {
    const slices = open()
    try {
      const from = t0 + 20n * min + 12_345_678n
      const to = t0 + 21n * min + 3_000_000n
      const read = await readOf(files.slice(0, 3), allOf(gte('event_time', at(from)), lt('event_time', at(to))))
      const expected = await rows(await lakeFilesSql(c, read.plan, read.local, undefined), from, to)
      expect(expected.length).toBeGreaterThan(100)
      // The first ask of a minute does not build it; the second does, after the read.
      expect(await slices.lakeSql(c, read, [])).toBeUndefined()
      expect(slices.stats.built).toBe(0)
      expect(await slices.lakeSql(c, read, [])).toBeUndefined()
      await until('two slices built', () => slices.stats.built === 2)
      const held: string[] = []
      const sliced = await slices.lakeSql(c, read, held)
      expect(sliced?.minutes).toBe(2)
      expect(held).toHaveLength(2)
      expect(await rows(sliced!.sql, from, to)).toEqual(expected)
      expect(sliced!.sql).not.toContain('hour-0')
      slices.release(held)
    } finally {
      await slices.close()
    }
  })

  it('name a slice by its files: a minute a later file reaches into is read from the files until sliced again', async () => {
    const slices = open()
    try {
      // Minute 20 (cut) and minute 40 (cut), as the bars' two edges.
      const from = t0 + 20n * min + 1_000_000n
      const to = t0 + 40n * min + 30_000_000n
      const edges = (a: bigint, b: bigint) => anyOf(allOf(gte('event_time', at(a)), lt('event_time', at(t0 + 21n * min))), allOf(gte('event_time', at(t0 + 40n * min)), lt('event_time', at(b))))
      const before = await readOf(files.slice(0, 3), edges(from, to))
      await slices.lakeSql(c, before, [])
      await slices.lakeSql(c, before, [])
      await until('two slices built', () => slices.stats.built === 2)
      // The late file joins the plan: minute 20's files are others now, minute 40's are the same.
      const after = await readOf(files, edges(from, to))
      const held: string[] = []
      const sliced = await slices.lakeSql(c, after, held)
      expect(sliced?.minutes).toBe(1)
      const want = async (sql: string) => [...(await rows(sql, from, t0 + 21n * min)), ...(await rows(sql, t0 + 40n * min, to))]
      const expected = await want(await lakeFilesSql(c, after.plan, after.local, undefined))
      expect(expected.filter((r) => Number((r as { trade_id: string }).trade_id) >= 900_000)).toHaveLength(50)
      expect(await want(sliced!.sql)).toEqual(expected)
      slices.release(held)
      // Asked for a second time, the new set of minute 20 is sliced too.
      slices.release(await slicesOf(slices, after))
      await until('the new minute sliced', () => slices.stats.built === 3)
      const again = await slices.lakeSql(c, after, held)
      expect(again?.minutes).toBe(2)
      expect(await want(again!.sql)).toEqual(expected)
      slices.release(held)
    } finally {
      await slices.close()
    }
  })

  it('keep at most their bound, never drop one a read holds, and leave no folder behind', async () => {
    const dir = path.join(root, 'bounded')
    fs.mkdirSync(path.join(dir, '999999999'), { recursive: true })
    const other = open(1, dir)
    const slices = open(1, dir)
    // A folder of a process that is gone is removed; each engine has its own in this process's.
    expect(fs.readdirSync(dir)).toEqual([String(process.pid)])
    const processDir = path.join(dir, String(process.pid))
    expect(fs.readdirSync(processDir)).toHaveLength(2)
    // Closing one engine removes its folder alone.
    await other.close()
    const left = fs.readdirSync(processDir)
    expect(left).toHaveLength(1)
    const own = path.join(processDir, left[0]!)
    const minute = async (m: bigint): Promise<SliceRead> => readOf(files.slice(0, 3), allOf(gte("event_time", at(t0 + m * min + 5n)), lt("event_time", at(t0 + m * min + 9_000_000n))))
    const built = (): string[] => fs.readdirSync(own)
    const a = await minute(5n)
    await slices.lakeSql(c, a, [])
    await slices.lakeSql(c, a, [])
    await until('minute 5 built', () => slices.stats.built === 1)
    const held: string[] = []
    expect((await slices.lakeSql(c, a, held))?.minutes).toBe(1)
    const b = await minute(6n)
    await slices.lakeSql(c, b, [])
    await slices.lakeSql(c, b, [])
    await until('minute 6 built', () => slices.stats.built === 2)
    // Minute 5 is held: minute 6, past the bound, is the one dropped.
    expect(built()).toEqual([path.basename(held[0]!)])
    expect(await slices.lakeSql(c, b, [])).toBeUndefined()
    slices.release(held)
    await slices.close()
    expect(fs.existsSync(own)).toBe(false)
  })
})
