import * as fs from 'node:fs'
import { ErrorCode, errorMessage, isWorkbenchError } from '../errors/index'
import type { SinkPhase } from './sink-phases'
import type { FileIO } from '../iceberg/file-io'
import type { DataFile } from '../iceberg/spec-types'
import { appendFiles, commitNeverLanded, type CommitPolicy, type CommitResult } from '../iceberg/table-commit'
import type { ParquetDataWriter } from '../iceberg/writer-parquet-duckdb'
import type { Logger } from '../logger/index'
import type { Metrics } from '../metrics/index'
import { batchLanded, batchSummary, staleBatch } from './commit-rules'
import type { OutageRetry } from './outage-retry'
import { recordCommit, type AnySinkStream, type FlushBatch } from './sink-stream'
import { tableOffsets } from './snapshot-offsets'

export interface BatchCommitDeps {
  readonly io: FileIO
  /** The sink's logger; `commitLogger` is the one `appendFiles` logs to. */
  readonly log: Logger
  readonly commitLogger: Logger
  readonly metrics: Metrics
  readonly retry: OutageRetry
  readonly commitPolicy?: CommitPolicy
  readonly maxUncommittedMs?: number
  readonly onPhase?: (phase: SinkPhase, table: string) => void
  /** A batch is in the table and the stream says so: the lag gauges, the progress, the commit latency (ms). */
  readonly onCommitted: (s: AnySinkStream, latencyMs: number) => void
  /** A batch was abandoned: the sink repositions from the table before its next batch. */
  readonly onAbandoned: () => void
}

/** Commits one batch of a stream, giving up on outages when `until` fires; `why` is the flush's trigger, for the log. */
export type BatchCommitter = (s: AnySinkStream, batch: FlushBatch, why: string, until: AbortSignal) => Promise<void>

/** Files of a batch in the object store, and when its phases ended (ms). */
interface UploadedBatch {
  readonly files: DataFile[]
  readonly startedAt: number
  readonly writtenAt: number
  readonly uploadedAt: number
}

/**
 * The commit step of the exactly-once sink: the batch's rows are written as Parquet files,
 * uploaded, and appended to the table in one snapshot that records the batch's offsets. Each
 * attempt first checks that the table still holds the offsets the batch started from (else the
 * batch is abandoned and re-read), and an attempt with an unknown outcome counts as landed when
 * the table's offsets end where the batch ends.
 */
export function createBatchCommitter(deps: BatchCommitDeps): BatchCommitter {
  return async (s, batch, why, until) => {
    const uploaded = await writeAndUpload(s, batch.writer, until, deps)
    const records = uploaded.files.reduce((n, f) => n + Number(f.recordCount), 0)
    const failed = deps.retry.outage()
    try {
      const result = await appendBatch(s, batch, uploaded, until, deps, () => failed.begin())
      failed.end()
      deps.onPhase?.('committed', s.table.name)
      recordCommit(s, { 'metadata-location': result.metadataLocation, metadata: result.metadata }, batch.batchOffsets, records, uploaded.files.length)
      const latencyMs = recordMetrics(s.table.name, uploaded, result, batch.tiers, deps.metrics)
      deps.log.debug(`committed ${records} records in ${uploaded.files.length} files to ${s.table.name} (${why})`, { snapshotId: String(result.snapshotId), ms: Date.now() - uploaded.startedAt, conflicts: result.conflicts, recovered: result.recovered })
      deps.onCommitted(s, latencyMs)
    } catch (err) {
      failed.end()
      if (isWorkbenchError(err, ErrorCode.Conflict) && !err.retryable) {
        await abandon(s, uploaded.files, records, err, deps)
        return
      }
      throw err
    }
  }
}

/** Writes the batch's files and uploads them under the table's `data/`; the local files are removed either way. */
async function writeAndUpload(s: AnySinkStream, writer: ParquetDataWriter, until: AbortSignal, deps: BatchCommitDeps): Promise<UploadedBatch> {
  const startedAt = Date.now()
  deps.onPhase?.('flush-started', s.table.name)
  const written = await writer.writeFiles()
  const writtenAt = Date.now()
  deps.onPhase?.('files-written', s.table.name)
  const location = s.loaded.metadata.location.replace(/\/+$/, '')
  let files: DataFile[] = []
  try {
    // In parallel: one round trip per commit, not one per file.
    files = await Promise.all(
      written.map(async (w): Promise<DataFile> => {
        const filePath = `${location}/data/${w.relativePath}`
        const body = await fs.promises.readFile(w.localPath)
        await deps.retry.untilDone(`uploading ${filePath}`, () => deps.io.write(filePath, body), until)
        return { ...w.dataFile, filePath }
      }),
    )
  } finally {
    for (const w of written) await fs.promises.rm(w.localPath, { force: true })
  }
  const uploadedAt = Date.now()
  deps.onPhase?.('files-uploaded', s.table.name)
  return { files, startedAt, writtenAt, uploadedAt }
}

/** Appends the files in one snapshot recording the batch's offsets, under the validate and landed rules (commit-rules.ts). */
function appendBatch(s: AnySinkStream, batch: FlushBatch, uploaded: UploadedBatch, until: AbortSignal, deps: BatchCommitDeps, onRetry: () => void): Promise<CommitResult> {
  const table = s.table.name
  return appendFiles(s.table, uploaded.files, (base) => batchSummary(base, s.topic, batch.batchOffsets, !s.deferred), {
    policy: deps.commitPolicy,
    logger: deps.commitLogger,
    signal: until,
    loaded: s.loaded,
    beforeCommit: () => deps.onPhase?.('commit-sent', table),
    onRetry,
    landed: (base) => batchLanded(tableOffsets(base, s.topic), batch.batchOffsets),
    validate: (base) => {
      const stale = staleBatch({ table, topic: s.topic, startOffsets: batch.startOffsets, batchOffsets: batch.batchOffsets }, tableOffsets(base, s.topic), Date.now() - uploaded.uploadedAt, deps.maxUncommittedMs)
      if (stale) throw stale
    },
  })
}

/** The commit's metrics; returns its latency (ms), from the start of the write. */
function recordMetrics(table: string, uploaded: UploadedBatch, result: CommitResult, tiers: ReadonlyMap<string, number>, m: Metrics): number {
  const { files, startedAt, writtenAt, uploadedAt } = uploaded
  const latencyMs = Date.now() - startedAt
  m.get('sinkRecords').labels(table).inc(files.reduce((n, f) => n + Number(f.recordCount), 0))
  m.get('sinkBytes').labels(table).inc(files.reduce((n, f) => n + Number(f.fileSizeInBytes), 0))
  m.get('sinkFilesPerCommit').labels(table).observe(files.length)
  m.get('sinkCommitLatency').labels(table).observe(latencyMs / 1000)
  const phase = m.get('sinkCommitPhase')
  phase.labels(table, 'write').observe((writtenAt - startedAt) / 1000)
  phase.labels(table, 'upload').observe((uploadedAt - writtenAt) / 1000)
  phase.labels(table, 'manifests').observe((result.timings.loadMs + result.timings.manifestsMs) / 1000)
  phase.labels(table, 'manifest_list').observe(result.timings.manifestListMs / 1000)
  phase.labels(table, 'catalog').observe(result.timings.catalogMs / 1000)
  for (const [tier, n] of tiers) m.get('degradeBackfilled').labels(table, tier).inc(n)
  if (result.conflicts) m.get('sinkCommitConflicts').labels(table).inc(result.conflicts)
  if (result.retries) m.get('sinkCommitRetries').labels(table).inc(result.retries)
  return latencyMs
}

/** Gives a stale batch up: counted, logged, its files deleted when the commit surely never landed; the sink repositions. */
async function abandon(s: AnySinkStream, files: readonly DataFile[], records: number, err: Error, deps: BatchCommitDeps): Promise<void> {
  s.report.abandoned++
  deps.metrics.get('sinkAbandonedBatches').labels(s.table.name).inc()
  deps.log.warn(`abandoned a batch of ${records} records: ${errorMessage(err)}; repositioning from the table`)
  // After an attempt with an unknown outcome the catalog may still apply the batch: its
  // files stay for the orphan sweep, which keeps whatever a snapshot references.
  if (commitNeverLanded(err)) for (const f of files) await deps.io.delete(f.filePath).catch(() => undefined)
  deps.onAbandoned()
}
