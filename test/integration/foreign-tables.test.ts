import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { columnNamesById, createManifestReader, createRestCatalogClient, createWarehouseFileIO, lakeFilesSql, planScan, requireSecret } from '../../lib/internal'
import { sparkJars } from '../../stack/services/spark'
import { stackConfig, uniqueName } from './helpers'
import { dropLake } from './lake-helpers'

/**
 * Tables written by another engine, at test time: pyiceberg (in the project venv) builds them
 * through the REST catalog (test/interop/write_foreign.py) — files without field ids added with
 * add_files, a schema renamed, dropped and added to between appends, seven partition transforms,
 * identity-partition values held only in the manifests — and reports what it reads of them. The workbench's reader must read the same: rows, column
 * names, values, and each filter's rows.
 */
const config = stackConfig()
const catalog = createRestCatalogClient({ url: config.catalog.url })
const io = createWarehouseFileIO(config)
const namespace = uniqueName('foreign', '_')
const python = path.join(config.paths.cache, 'jupyter', 'venv', 'bin', 'python')
const script = path.join(config.paths.root, 'test', 'interop', 'write_foreign.py')

interface Expected {
  rows: number
  columns: string[]
  sum_id: number
  filtered: Record<string, number>
}
let expected: Record<string, Expected> = {}

/** What spark_foreign.py reports of its tables, as Spark reads them. */
interface SparkExpected {
  rows: number
  sum_id: number
  deletes: Array<{ content: number; format: string }>
  groups?: Array<{ venue: string; lots: number; n: number }>
}
let spark: Record<string, SparkExpected> = {}
const sparkTables = ['pos_deletes', 'dv_deletes', 'defaults']
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-foreign-'))

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(python, [script, config.catalog.url, config.s3.endpoint, namespace], {
    env: { ...process.env, K2_S3_ACCESS_KEY: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'), K2_S3_SECRET_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY') },
    maxBuffer: 16 * 2 ** 20,
  })
  expected = JSON.parse(stdout) as Record<string, Expected>
  // Spark (Iceberg's Java library) for what pyiceberg cannot write: merge-on-read deletes and v3 defaults.
  const sparkRun = await promisify(execFile)(python, [path.join(config.paths.root, 'test', 'interop', 'spark_foreign.py'), '--jars', sparkJars(config).join(','), '--catalog-uri', config.catalog.url, '--s3-endpoint', config.s3.endpoint, '--namespace', namespace], {
    env: { ...process.env, K2_S3_ACCESS_KEY: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'), K2_S3_SECRET_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY') },
    maxBuffer: 16 * 2 ** 20,
    timeout: 300_000,
  })
  spark = JSON.parse(sparkRun.stdout) as Record<string, SparkExpected>
}, 400_000)

afterAll(async () => {
  await dropLake(catalog, namespace, [...Object.keys(expected), ...sparkTables])
  io.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Runs `select` over the table as the workbench's reader reads it (view `t`). */
async function readOurs(table: string, select: string): Promise<Array<Record<string, unknown>>> {
  const { metadata } = await catalog.loadTable([namespace], table)
  const plan = await planScan({ metadata, io, manifests: createManifestReader(io) })
  const local: string[] = []
  for (const [i, f] of plan.files.entries()) {
    const p = path.join(dir, `${table}-${i}.parquet`)
    fs.writeFileSync(p, await io.read(f.path))
    local.push(p)
  }
  const duck = await DuckDBInstance.create(':memory:')
  const c = await duck.connect()
  try {
    await c.run(`CREATE VIEW t AS ${await lakeFilesSql(c, plan, local, metadata)}`)
    if (expected[table]) expect([...columnNamesById(plan.schema).values()]).toEqual(expected[table]!.columns)
    return (await c.runAndReadAll(select)).getRowObjectsJson() as Array<Record<string, unknown>>
  } finally {
    c.closeSync()
    duck.closeSync()
  }
}

describe('tables written by pyiceberg, read by the workbench as pyiceberg reads them', () => {
  it.each(['mapped', 'evolved', 'transforms', 'times', 'absent'])('%s', async (table) => {
    const want = expected[table]!
    const [all] = await readOurs(table, 'SELECT count(*)::INTEGER AS rows, sum(id)::BIGINT AS sum_id FROM t')
    expect({ rows: all!.rows, sum_id: Number(all!.sum_id) }).toEqual({ rows: want.rows, sum_id: want.sum_id })
    for (const [filter, rows] of Object.entries(want.filtered)) {
      const [r] = await readOurs(table, `SELECT count(*)::INTEGER AS rows FROM t WHERE ${filter}`)
      expect(r!.rows, `${table} WHERE ${filter}`).toBe(rows)
    }
  })

  it('reads the id-less files of the add_files table by its name mapping, not as NULLs', async () => {
    const rows = await readOurs('mapped', 'SELECT count(*)::INTEGER AS n FROM t WHERE id IS NULL OR sym IS NULL OR price IS NULL')
    expect(rows[0]!.n).toBe(0)
  })

  it('reads the renamed column under its new name in files written before the rename, and the added one as NULL there', async () => {
    const rows = await readOurs('evolved', "SELECT count(*) FILTER (WHERE price IS NOT NULL)::INTEGER AS priced, count(*) FILTER (WHERE venue = 'BINANCE')::INTEGER AS venued FROM t")
    expect(rows[0]).toEqual({ priced: 60, venued: 20 })
  })

  it('takes an identity column the data files leave out from each file\'s partition tuple, and filters on it', async () => {
    const rows = await readOurs('absent', 'SELECT exch, count(*)::INTEGER AS n, min(id)::INTEGER AS lo FROM t GROUP BY exch ORDER BY exch')
    expect(rows).toEqual([
      { exch: 'BINANCE', n: 25, lo: 0 },
      { exch: 'KRAKEN', n: 25, lo: 100 },
      { exch: 'OKX', n: 25, lo: 200 },
    ])
  })

  it('keeps the µs of a timestamp without zone in an hour-partitioned table', async () => {
    const rows = await readOurs('times', "SELECT strftime(tl, '%Y-%m-%dT%H:%M:%S.%f') AS tl FROM t WHERE id = 7")
    expect(rows).toEqual([{ tl: '2026-11-21T12:42:00.000007' }])
  })
})

describe('tables written by Spark: deletes refused, v3 defaults read as Spark reads them', () => {
  it('refuses a table with position deletes (merge-on-read, v2), saying so, rather than return deleted rows', async () => {
    expect(spark.pos_deletes!.deletes.map((d) => d.format)).toContain('PARQUET')
    expect(spark.pos_deletes!.rows).toBe(90)
    await expect(readOurs('pos_deletes', 'SELECT count(*) FROM t')).rejects.toThrow(/position delete files? (that apply|file that applies).*does not apply deletes/)
  })

  it('refuses a table with deletion vectors (v3), naming them', async () => {
    expect(spark.dv_deletes!.deletes.map((d) => d.format)).toContain('PUFFIN')
    await expect(readOurs('dv_deletes', 'SELECT count(*) FROM t')).rejects.toThrow(/deletion vector \(v3\) delete/)
  })

  it('reads columns added with defaults as their initial default in files written before, as Spark does', async () => {
    const want = spark.defaults!
    const [all] = await readOurs('defaults', 'SELECT count(*)::INTEGER AS rows, sum(id)::BIGINT AS sum_id FROM t')
    expect({ rows: all!.rows, sum_id: Number(all!.sum_id) }).toEqual({ rows: want.rows, sum_id: want.sum_id })
    const groups = await readOurs('defaults', 'SELECT venue, lots, count(*)::INTEGER AS n FROM t GROUP BY venue, lots ORDER BY venue')
    expect(groups).toEqual(want.groups)
    expect(want.groups).toEqual([
      { venue: 'BINANCE', lots: 7, n: 30 },
      { venue: 'OKX', lots: 1, n: 10 },
    ])
  })
})
