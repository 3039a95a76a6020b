import * as fs from 'node:fs'
import * as path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, isWorkbenchError, sleep, type RetryPolicy } from '../errors/index'
import type { LoadedTable } from '../iceberg/catalog-rest'
import { createManifestReader } from '../iceberg/manifest-io'
import { decodeSingleValue } from '../iceberg/single-value'
import { EntryStatus, type DataFile, type TableMetadata } from '../iceberg/spec-types'
import { defaultManifestRewrite, type ManifestRewriteOptions } from '../iceberg/manifest-rewrite'
import { commitNeverLanded, replaceFiles, rewriteManifests, type CommitPolicy, type TableHandle } from '../iceberg/table-commit'
import { currentSnapshot, schemaById, specById } from '../iceberg/table-metadata'
import { planScan } from '../iceberg/table-scan'
import { createParquetDataWriter } from '../iceberg/writer-parquet-duckdb'
import { silentLogger, type Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { planCompaction, snapshotsToExpire, type CompactionCandidate } from './compaction-plan'

export interface CompactionOptions {
  readonly targetFileBytes: number
  /** Column whose lower bound places a file in an hour (default `event_time`). */
  readonly timeColumn?: string
  /** Local folder for downloaded and rewritten files. */
  readonly workDir: string
  readonly openHourMinFiles?: number
  readonly commitPolicy?: CommitPolicy
  readonly logger?: Logger
  readonly signal?: AbortSignal
}

/** What one compaction round did. */
export interface CompactionReport {
  readonly groups: number
  readonly filesIn: number
  readonly filesOut: number
  /** Groups given up because another commit removed some of their files first. */
  readonly skipped: number
  readonly conflicts: number
}

/**
 * Compacts a table: each group from `planCompaction` is downloaded, merged and sorted by the
 * table's sort order through the same DuckDB writer the sink uses, uploaded, and committed as a
 * `replace` snapshot. Concurrent sink appends make the commit conflict; it rebases onto them
 * (the files it replaces are still there) and retries.
 */
export async function compactTable(table: TableHandle, connection: DuckDBConnection, options: CompactionOptions): Promise<CompactionReport> {
  const log = (options.logger ?? silentLogger).child('maintenance')
  const loaded = await table.catalog.loadTable(table.namespace, table.name)
  const meta = loaded.metadata
  const schema = schemaById(meta)
  const timeField = schema.fields.find((f) => f.name === (options.timeColumn ?? 'event_time'))
  const plan = await planScan({ metadata: meta, io: table.io, manifests: table.manifests })
  const candidates: CompactionCandidate[] = plan.files.map((f) => {
    const lower = timeField ? f.dataFile.lowerBounds?.get(timeField.id) : undefined
    return {
      path: f.path,
      specId: f.specId,
      partition: f.partition,
      sizeBytes: Number(f.fileSizeInBytes),
      records: Number(f.recordCount),
      minTimeMicros: lower && typeof timeField?.type === 'string' ? (decodeSingleValue(timeField.type, lower) as bigint) : undefined,
    }
  })
  const groups = planCompaction(candidates, { targetFileBytes: options.targetFileBytes, nowMicros: BigInt(Date.now()) * 1000n, openHourMinFiles: options.openHourMinFiles })
  const report = { groups: groups.length, filesIn: 0, filesOut: 0, skipped: 0, conflicts: 0 }
  if (groups.length === 0) return report
  const spec = specById(meta)
  const sortOrder = meta['sort-orders'].find((o) => o['order-id'] === meta['default-sort-order-id']) ?? { 'order-id': 0, fields: [] }
  const dir = path.join(options.workDir, `${table.name}-${Date.now()}`)
  fs.mkdirSync(dir, { recursive: true })
  const writer = await createParquetDataWriter({ connection, schema, spec, sortOrder, workDir: dir })
  try {
    for (const g of groups) {
      if (options.signal?.aborted) break
      if (g.specId !== spec['spec-id']) continue
      const local: string[] = []
      for (const [i, f] of g.files.entries()) {
        const p = path.join(dir, `in-${i}.parquet`)
        fs.writeFileSync(p, await table.io.read(f.path))
        local.push(p)
      }
      await writer.stageParquet(local, g.partition)
      const written = await writer.writeFiles()
      for (const p of local) fs.rmSync(p, { force: true })
      const added: DataFile[] = []
      for (const w of written) {
        const filePath = `${meta.location.replace(/\/+$/, '')}/data/${w.relativePath}`
        await table.io.write(filePath, fs.readFileSync(w.localPath))
        fs.rmSync(w.localPath, { force: true })
        added.push({ ...w.dataFile, filePath })
      }
      const inRecords = g.files.reduce((n, f) => n + f.records, 0)
      const outRecords = added.reduce((n, f) => n + Number(f.recordCount), 0)
      if (inRecords !== outRecords) {
        for (const f of added) await table.io.delete(f.filePath).catch(() => undefined)
        throw new WorkbenchError(ErrorCode.RecordInvalid, `compaction of ${table.name} read ${outRecords} rows from ${g.files.length} files that hold ${inRecords}: refusing to commit`)
      }
      try {
        const result = await replaceFiles(
          table,
          g.files.map((f) => f.path),
          added,
          { 'k2.maintenance': 'compaction' },
          { policy: options.commitPolicy, logger: options.logger, signal: options.signal },
        )
        report.filesIn += g.files.length
        report.filesOut += added.length
        report.conflicts += result.conflicts
        log.debug(`compacted ${g.files.length} files into ${added.length} in ${table.name}`, { hour: g.hour, records: outRecords, conflicts: result.conflicts })
      } catch (err) {
        // Only a commit known not to have landed gives its files back. One stopped while its
        // answer was in flight (SIGTERM, an outage) may be in the table: deleting its files
        // then would leave the table naming files that do not exist.
        if (commitNeverLanded(err)) for (const f of added) await table.io.delete(f.filePath).catch(() => undefined)
        else log.warn(`left the ${added.length} files of an unfinished compaction commit of ${table.name} to the orphan sweep: the commit may have landed`, { error: errorMessage(err) })
        if (isWorkbenchError(err, ErrorCode.Conflict) && !err.retryable) {
          report.skipped++
          log.info(`skipped a compaction group of ${table.name}: ${errorMessage(err)}`)
          continue
        }
        throw err
      }
    }
  } finally {
    await writer.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return report
}

const commitBackoff: RetryPolicy = { attempts: 0, initialDelayMs: 50, maxDelayMs: 2_000, factor: 2, jitter: 0.5 }

/**
 * Expires snapshots older than `maxAgeMs` beyond the newest `keep` (never the current one), in
 * one `remove-snapshots` commit, retried on conflict. Returns how many were expired.
 */
export async function expireSnapshots(table: TableHandle, policy: { readonly maxAgeMs: number; readonly keep: number; readonly floorMs?: number; readonly signal?: AbortSignal }): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const { metadata } = await table.catalog.loadTable(table.namespace, table.name)
    const current = currentSnapshot(metadata)?.['snapshot-id']
    const ids = snapshotsToExpire(
      metadata.snapshots.map((s) => ({ id: s['snapshot-id'], timestampMs: s['timestamp-ms'] })),
      current,
      { maxAgeMs: policy.maxAgeMs, keep: policy.keep, nowMs: Date.now(), floorMs: policy.floorMs },
    )
    if (ids.length === 0) return 0
    try {
      await table.catalog.commitTable(table.namespace, table.name, [{ type: 'assert-table-uuid', uuid: metadata['table-uuid'] }], [{ action: 'remove-snapshots', 'snapshot-ids': ids }])
      return ids.length
    } catch (err) {
      if (!(isWorkbenchError(err) && err.retryable) || attempt >= 30) throw err
      await sleep(backoffDelay(commitBackoff, Math.min(attempt, 10)), policy.signal)
    }
  }
}

/** What one orphan sweep did and found. */
export interface OrphanSweep {
  /** Unreferenced files deleted. */
  readonly deleted: number
  /**
   * Data files the current snapshot names that the object store does not hold: a damaged table
   * (its queries fail on them). Only files under the table's own `data/` folder are checked.
   */
  readonly missing: readonly string[]
}

/**
 * Deletes files under the table's `data/` and `metadata/` folders that no snapshot still in the
 * metadata references (data files, manifests, manifest lists), once older than `minAgeMs`: the
 * age keeps files a writer has uploaded but not yet committed. Table metadata files
 * (`*.metadata.json`) are the catalog's and are never touched. Having listed the data folder, it
 * also reports the current snapshot's data files that are not there.
 */
export async function removeOrphanFiles(table: TableHandle, policy: { readonly minAgeMs: number }): Promise<OrphanSweep> {
  const loaded: LoadedTable = await table.catalog.loadTable(table.namespace, table.name)
  const meta: TableMetadata = loaded.metadata
  const reader = table.manifests ?? createManifestReader(table.io)
  const referenced = new Set<string>()
  const current = new Set<string>()
  const currentId = currentSnapshot(meta)?.['snapshot-id']
  for (const s of meta.snapshots) {
    referenced.add(s['manifest-list'])
    for (const m of await reader.manifestList(s)) {
      referenced.add(m.manifestPath)
      for (const e of await reader.entries(m)) {
        if (e.status === EntryStatus.Deleted) continue
        referenced.add(e.dataFile.filePath)
        if (s['snapshot-id'] === currentId) current.add(e.dataFile.filePath)
      }
    }
  }
  const location = meta.location.replace(/\/+$/, '')
  const cutoff = Date.now() - policy.minAgeMs
  let deleted = 0
  const stored = new Set<string>()
  for (const folder of ['data/', 'metadata/']) {
    for (const o of await table.io.listDetailed(`${location}/${folder}`)) {
      stored.add(o.key)
      if (referenced.has(o.key) || o.lastModifiedMs > cutoff) continue
      if (folder === 'metadata/' && !o.key.endsWith('.avro')) continue
      await table.io.delete(o.key)
      deleted++
    }
  }
  const missing = [...current].filter((f) => f.startsWith(`${location}/data/`) && !stored.has(f))
  return { deleted, missing }
}

export interface MaintenanceOptions {
  readonly namespace: string
  readonly tables: readonly string[]
  readonly intervalMs: number
  readonly targetFileBytes: number
  readonly snapshotMaxAgeMs: number
  readonly keepSnapshots: number
  readonly orphanMinAgeMs: number
  readonly workDir: string
  readonly openHourMinFiles?: number
  readonly commitPolicy?: CommitPolicy
  /** When and how data manifests are merged (default: more than 16, one manifest per day). */
  readonly manifestRewrite?: ManifestRewriteOptions
  /** Column whose lower bound places a file in an hour for compaction, by table (default `event_time`). */
  readonly timeColumns?: Readonly<Record<string, string>>
}

export interface MaintenanceDeps {
  readonly table: (name: string) => TableHandle
  readonly logger: Logger
  readonly metrics: Metrics
  /** The oldest snapshot time of a table that expiry must keep (a rollup still reads them), if any. */
  readonly expiryFloorMs?: (table: string) => number | undefined
}

/**
 * The maintenance loop: every interval, for each table that exists, compact, merge its data
 * manifests once there are many (manifest-rewrite.ts), and expire snapshots; every quarter of
 * `orphanMinAgeMs` (at least every interval), remove orphan files. An orphan sweep lists the
 * table's objects and reads the manifests of every snapshot, and a file must be orphanMinAgeMs
 * old to go anyway: sweeping every minute cost more than all the rest of a round. A failed round is logged and retried next interval (outages pass).
 */
export async function runMaintenance(options: MaintenanceOptions, deps: MaintenanceDeps, signal: AbortSignal): Promise<void> {
  const log = deps.logger.child('maintenance')
  const m = deps.metrics
  const duck = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' })
  const connection = await duck.connect()
  const sweepEveryMs = Math.max(options.intervalMs, options.orphanMinAgeMs / 4)
  const lastSweep = new Map<string, number>()
  try {
    while (!signal.aborted) {
      for (const name of options.tables) {
        if (signal.aborted) break
        const table = deps.table(name)
        try {
          if (!(await table.catalog.tableExists(table.namespace, name))) continue
          const c = await compactTable(table, connection, {
            targetFileBytes: options.targetFileBytes,
            timeColumn: options.timeColumns?.[name],
            workDir: options.workDir,
            openHourMinFiles: options.openHourMinFiles,
            commitPolicy: options.commitPolicy,
            logger: deps.logger,
            signal,
          })
          if (c.filesIn > 0) {
            m.get('maintenanceCompactions').labels(name).inc(c.groups - c.skipped)
            m.get('maintenanceFilesCompacted').labels(name).inc(c.filesIn)
            log.info(`compacted ${name}: ${c.filesIn} files into ${c.filesOut}`, { groups: c.groups, skipped: c.skipped, conflicts: c.conflicts })
          }
          if (c.conflicts) m.get('maintenanceCommitConflicts').labels(name).inc(c.conflicts)
          const merged = await rewriteManifests(table, options.manifestRewrite ?? defaultManifestRewrite, { policy: options.commitPolicy, logger: deps.logger, signal })
          if (merged) {
            m.get('maintenanceManifestsMerged').labels(name).inc(merged.manifestsBefore - merged.manifestsAfter)
            log.info(`merged the manifests of ${name}: ${merged.manifestsBefore} into ${merged.manifestsAfter}`, { conflicts: merged.conflicts })
          }
          const expired = await expireSnapshots(table, { maxAgeMs: options.snapshotMaxAgeMs, keep: options.keepSnapshots, floorMs: deps.expiryFloorMs?.(name), signal })
          if (expired) m.get('maintenanceSnapshotsExpired').labels(name).inc(expired)
          let orphans = 0
          if (Date.now() - (lastSweep.get(name) ?? -Infinity) >= sweepEveryMs) {
            const sweep = await removeOrphanFiles(table, { minAgeMs: options.orphanMinAgeMs })
            orphans = sweep.deleted
            m.get('maintenanceMissingFiles').labels(name).set(sweep.missing.length)
            if (sweep.missing.length) log.error(`${name} names ${sweep.missing.length} data files the object store does not hold: queries over them fail`, { examples: sweep.missing.slice(0, 3) })
            lastSweep.set(name, Date.now())
          }
          if (orphans) m.get('maintenanceOrphansDeleted').labels(name).inc(orphans)
          if (expired || orphans) log.info(`cleaned ${name}`, { snapshotsExpired: expired, orphanFilesDeleted: orphans })
          const plan = await planScan({ metadata: (await table.catalog.loadTable(table.namespace, name)).metadata, io: table.io, manifests: table.manifests })
          m.get('maintenanceDataFiles').labels(name).set(plan.files.length)
        } catch (err) {
          if (signal.aborted) break
          log.warn(`maintenance of ${name} failed this round; retrying next round: ${errorMessage(err)}`)
        }
      }
      await sleep(options.intervalMs, signal).catch(() => undefined)
    }
  } finally {
    connection.closeSync()
    duck.closeSync()
  }
}
