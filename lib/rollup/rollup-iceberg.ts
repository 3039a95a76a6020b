import * as fs from 'node:fs'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, errorMessage, isWorkbenchError, sleep } from '../errors/index'
import type { LoadedTable } from '../iceberg/catalog-rest'
import { quoteIdent, readParquetByFieldId } from '../iceberg/duckdb-sql'
import { createManifestReader } from '../iceberg/manifest-io'
import { EntryStatus, ManifestContent, type DataFile, type Schema, type Snapshot, type TableMetadata } from '../iceberg/spec-types'
import { appendFiles, commitNeverLanded, type CommitPolicy, type TableHandle } from '../iceberg/table-commit'
import { currentSnapshot, schemaById, specById } from '../iceberg/table-metadata'
import { planScan } from '../iceberg/table-scan'
import { createParquetDataWriter } from '../iceberg/writer-parquet-duckdb'
import { silentLogger, type Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { ensureTable } from '../sink/sink-kafka-iceberg'
import type { TableDesign } from '../iceberg/table-design'
import { parsePrimitiveType } from '../iceberg/single-value'
import { planRollup, rollupExpiryFloorMs, rollupSourceOf, rollupSummary, type RollupPlan } from './rollup-plan'

/**
 * The one-minute rollup's writer (docs/decisions.md, D74): each round folds the trades the source
 * table has committed since the rollup's own last commit into partial bars (minute-bars.ts) and
 * appends them in one snapshot that records the source snapshot and its Kafka offsets. The commit
 * is conditional on the rollup still holding the source snapshot the round started from, so two
 * writers, a retried commit or a writer killed at any point never fold a trade twice or skip one:
 * the rollup table alone says where the next round starts.
 */

/** A table kept as partial aggregates of each source batch (minute bars, latest trades). */
export interface RollupDesign {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly table: TableDesign<any>
  /** SQL over `relation` (source rows) selecting one batch's partial rows, in the table's column order. */
  readonly partialSql: (relation: string) => string
}

export interface RollupRoundOptions {
  /** A DuckDB connection the round may create temporary tables in. */
  readonly connection: DuckDBConnection
  /** Local folder for downloaded source files and written rollup files. */
  readonly workDir: string
  /** At most this many source appends folded per commit. */
  readonly maxAppends: number
  readonly commitPolicy?: CommitPolicy
  readonly logger?: Logger
  readonly signal?: AbortSignal
}

/** What one round did. */
export interface RollupRound {
  readonly plan: RollupPlan['kind']
  /** The source snapshot the rollup holds after the round. */
  readonly sourceSnapshotId: bigint | undefined
  readonly sourceFiles: number
  readonly sourceRows: number
  readonly rollupRows: number
  /** The source's newest commit time less that of the snapshot the rollup holds (ms). */
  readonly lagMs: number
  /** The oldest source snapshot time the rollup still needs (snapshot expiry keeps it). */
  readonly expiryFloorMs: number | undefined
}

/** Data files `snapshot` added (its own manifests' ADDED entries). */
async function filesAddedBy(source: TableHandle, snapshot: Snapshot): Promise<DataFile[]> {
  const reader = source.manifests ?? createManifestReader(source.io)
  const out: DataFile[] = []
  for (const m of await reader.manifestList(snapshot)) {
    if (m.content !== ManifestContent.Data || m.addedSnapshotId !== snapshot['snapshot-id']) continue
    for (const e of await reader.entries(m)) if (e.status === EntryStatus.Added && e.snapshotId === snapshot['snapshot-id']) out.push(e.dataFile)
  }
  return out
}

async function sourceFiles(source: TableHandle, meta: TableMetadata, plan: Exclude<RollupPlan, { kind: 'current' }>): Promise<DataFile[]> {
  if (plan.kind === 'all') return (await planScan({ metadata: meta, io: source.io, manifests: source.manifests }, { snapshotId: plan.source['snapshot-id'] })).files.map((f) => f.dataFile)
  const out: DataFile[] = []
  for (const s of plan.appends) out.push(...(await filesAddedBy(source, s)))
  return out
}

/** Partial rows of the source rows in local Parquet files, as the rollup table's writer takes them (µs, exact decimal text). */
async function partialRows(connection: DuckDBConnection, design: RollupDesign, local: readonly string[], sourceSchema: Schema): Promise<unknown[][]> {
  if (local.length === 0) return []
  const relation = readParquetByFieldId(local, sourceSchema)
  const cols = design.table.schema.fields.map((f) => {
    const kind = typeof f.type === 'string' ? parsePrimitiveType(f.type).kind : 'nested'
    const c = quoteIdent(f.name)
    return kind === 'timestamptz' || kind === 'timestamp' ? `epoch_us(${c}) AS ${c}` : kind === 'decimal' ? `CAST(${c} AS VARCHAR) AS ${c}` : c
  })
  const reader = await connection.runAndReadAll(`SELECT ${cols.join(', ')} FROM (${design.partialSql(relation)})`)
  return reader.getRows() as unknown[][]
}

/**
 * One round: plan from the rollup's current snapshot and the source's history, fold the planned
 * source files into partial bars, write and commit them. A commit that finds another writer moved
 * the rollup meanwhile is given up (non-retryable CONFLICT): the next round plans again.
 */
export async function rollupRound(design: RollupDesign, source: TableHandle, target: TableHandle, options: RollupRoundOptions): Promise<RollupRound> {
  const log = (options.logger ?? silentLogger).child('rollup')
  const targetLoaded: LoadedTable = await target.catalog.loadTable(target.namespace, target.name)
  const folded = rollupSourceOf(currentSnapshot(targetLoaded.metadata))
  const sourceMeta = (await source.catalog.loadTable(source.namespace, source.name)).metadata
  const plan = planRollup(sourceMeta, folded, { maxAppends: options.maxAppends })
  const newestMs = currentSnapshot(sourceMeta)?.['timestamp-ms']
  const timeOf = (id: bigint | undefined): number | undefined => sourceMeta.snapshots.find((s) => s['snapshot-id'] === id)?.['timestamp-ms']
  if (plan.kind === 'current') {
    const heldMs = timeOf(folded)
    return { plan: plan.kind, sourceSnapshotId: folded, sourceFiles: 0, sourceRows: 0, rollupRows: 0, lagMs: newestMs !== undefined && heldMs !== undefined ? newestMs - heldMs : 0, expiryFloorMs: rollupExpiryFloorMs(sourceMeta, folded) }
  }
  const files = await sourceFiles(source, sourceMeta, plan)
  const dir = path.join(options.workDir, `round-${Date.now()}`)
  fs.mkdirSync(dir, { recursive: true })
  const meta = targetLoaded.metadata
  const writer = await createParquetDataWriter({
    connection: options.connection,
    schema: schemaById(meta),
    spec: specById(meta),
    sortOrder: meta['sort-orders'].find((o) => o['order-id'] === meta['default-sort-order-id']) ?? { 'order-id': 0, fields: [] },
    workDir: dir,
  })
  const added: DataFile[] = []
  try {
    const local: string[] = []
    for (const [i, f] of files.entries()) {
      const p = path.join(dir, `source-${i}.parquet`)
      fs.writeFileSync(p, await source.io.read(f.filePath))
      local.push(p)
    }
    const rows = await partialRows(options.connection, design, local, schemaById(sourceMeta))
    writer.append(rows)
    for (const w of await writer.writeFiles()) {
      const filePath = `${meta.location.replace(/\/+$/, '')}/data/${w.relativePath}`
      await target.io.write(filePath, fs.readFileSync(w.localPath))
      added.push({ ...w.dataFile, filePath })
    }
    const sourceId = plan.source['snapshot-id']
    try {
      await appendFiles(target, added, rollupSummary(sourceMeta, plan.source), {
        loaded: targetLoaded,
        policy: options.commitPolicy,
        logger: options.logger,
        signal: options.signal,
        validate: (base) => {
          const now = rollupSourceOf(currentSnapshot(base))
          if (now !== folded) throw new WorkbenchError(ErrorCode.Conflict, `another rollup writer moved ${target.name} from source snapshot ${String(folded)} to ${String(now)}: this round's bars are dropped and planned again`, false)
        },
        landed: (base) => rollupSourceOf(currentSnapshot(base)) === sourceId,
      })
    } catch (err) {
      if (commitNeverLanded(err)) for (const f of added) await target.io.delete(f.filePath).catch(() => undefined)
      else log.warn(`left the ${added.length} files of an unfinished rollup commit of ${target.name} to the orphan sweep: the commit may have landed`, { error: errorMessage(err) })
      throw err
    }
    const sourceRows = files.reduce((n, f) => n + Number(f.recordCount), 0)
    log.debug(`folded ${files.length} source files (${sourceRows} rows) into ${rows.length} partial rows of ${target.name}`, { source: String(sourceId) })
    return {
      plan: plan.kind,
      sourceSnapshotId: sourceId,
      sourceFiles: files.length,
      sourceRows,
      rollupRows: rows.length,
      lagMs: newestMs === undefined ? 0 : newestMs - plan.source['timestamp-ms'],
      expiryFloorMs: rollupExpiryFloorMs(sourceMeta, sourceId),
    }
  } finally {
    await writer.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export interface RollupOptions {
  readonly namespace: string
  /** The rollups kept of the source, each a table with its own position in the source's history. */
  readonly designs: readonly RollupDesign[]
  /** The source table (trades). */
  readonly source: string
  /** Time between rounds while the rollup is current (a round that folded something is followed at once). */
  readonly intervalMs: number
  readonly maxAppends: number
  readonly workDir: string
  readonly commitPolicy?: CommitPolicy
}

export interface RollupDeps {
  readonly table: (name: string) => TableHandle
  readonly logger: Logger
  readonly metrics: Metrics
  /** Told the oldest source snapshot time the rollup still needs after every round (snapshot expiry keeps it). */
  readonly onExpiryFloor?: (sourceTable: string, floorMs: number | undefined) => void
}

/**
 * The rollup loop: creates the rollup table if missing, then runs rounds until `signal`. A failed
 * round is logged and retried after the interval (outages pass); one that says the source's
 * history no longer reaches the rollup (expired, rewritten) is logged as an error every round.
 */
export async function runRollup(options: RollupOptions, deps: RollupDeps, signal: AbortSignal): Promise<void> {
  const log = deps.logger.child('rollup')
  const m = deps.metrics
  const duck = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' })
  const connection = await duck.connect()
  const source = deps.table(options.source)
  const created = new Set<string>()
  try {
    while (!signal.aborted) {
      let again = false
      let floorMs: number | undefined = undefined
      // Until the source exists there is nothing to fold, and the floor stays where it was.
      let floorKnown = await source.catalog.tableExists(source.namespace, source.name).catch((err: unknown) => {
        if (!signal.aborted) log.warn(`the rollup cannot reach ${options.source}; retrying: ${errorMessage(err)}`)
        return false
      })
      for (const design of floorKnown ? options.designs : []) {
        if (signal.aborted) break
        const name = design.table.name
        try {
          if (!created.has(name)) {
            await ensureTable(source.catalog, options.namespace, name, design.table)
            created.add(name)
          }
          const r = await rollupRound(design, source, deps.table(name), { connection, workDir: options.workDir, maxAppends: options.maxAppends, commitPolicy: options.commitPolicy, logger: deps.logger, signal })
          m.get('rollupLagSeconds').labels(name).set(r.lagMs / 1000)
          if (r.expiryFloorMs !== undefined) floorMs = Math.min(floorMs ?? Infinity, r.expiryFloorMs)
          if (r.plan !== 'current') {
            m.get('rollupCommits').labels(name).inc()
            m.get('rollupTradesFolded').labels(name).inc(r.sourceRows)
            log.info(`folded ${r.sourceRows} ${options.source} into ${r.rollupRows} rows of ${name}`, { files: r.sourceFiles, plan: r.plan, lagSeconds: Math.round(r.lagMs / 1000) })
            again ||= r.lagMs > 0
          }
        } catch (err) {
          floorKnown = false
          if (signal.aborted) break
          if (isWorkbenchError(err, ErrorCode.NotFound, ErrorCode.SchemaIncompatible)) log.error(`the rollup ${name} cannot follow ${options.source}: ${errorMessage(err)}`)
          else log.warn(`the rollup round of ${name} failed; retrying: ${errorMessage(err)}`)
        }
      }
      // A rollup whose round failed may still need any snapshot: the floor stays where it was.
      if (floorKnown) deps.onExpiryFloor?.(options.source, floorMs)
      if (!again) await sleep(options.intervalMs, signal).catch(() => undefined)
    }
  } finally {
    connection.closeSync()
    duck.closeSync()
  }
}
