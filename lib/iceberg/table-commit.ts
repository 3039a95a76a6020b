import { randomBytes, randomUUID } from 'node:crypto'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, isWorkbenchError, sleep, type RetryPolicy } from '../errors/index'
import { silentLogger, type Logger } from '../logger/index'
import type { LoadedTable, RestCatalogClient } from './catalog-rest'
import type { FileIO } from './file-io'
import { encodeManifestList } from './manifest-avro'
import { assignSequenceNumber, createManifestReader, writeManifest, type LiveEntry, type ManifestReader, type ManifestTarget } from './manifest-io'
import { groupForRewrite, manifestsToMerge, type ManifestRewriteOptions } from './manifest-rewrite'
import { EntryStatus, type DataFile, type ManifestEntry, type ManifestFile, type Snapshot, type SnapshotOperation, type TableMetadata } from './spec-types'
import { currentSnapshot, partitionType, schemaById, specById } from './table-metadata'
import { transformResultType } from './transforms'

/** A table in a REST catalog, with the FileIO that reaches its files. */
export interface TableHandle {
  readonly catalog: RestCatalogClient
  readonly io: FileIO
  readonly namespace: readonly string[]
  readonly name: string
  /** Shared manifest cache (created on first use when absent). */
  readonly manifests?: ManifestReader
}

/**
 * How commits retry: 409 conflicts up to `maxConflicts` times, outages (catalog or object store
 * down, unknown outcomes) until the signal fires; `backoff` spaces the attempts (its `attempts`
 * is not used).
 */
export interface CommitPolicy {
  readonly maxConflicts: number
  readonly backoff: RetryPolicy
}

export const defaultCommitPolicy: CommitPolicy = { maxConflicts: 30, backoff: { attempts: 0, initialDelayMs: 50, maxDelayMs: 5_000, factor: 2, jitter: 0.5 } }

/** What happened during one commit, for metrics and logs. */
export interface CommitResult {
  readonly snapshotId: bigint
  readonly sequenceNumber: bigint
  readonly metadata: TableMetadata
  readonly metadataLocation: string
  /** 409 answers that led to a reload and rebase. */
  readonly conflicts: number
  /** Attempts whose outcome was unknown (5xx, no answer) or that failed on an outage. */
  readonly retries: number
  readonly durationMs: number
  /** True when the commit was found to have landed after an unknown outcome. */
  readonly recovered: boolean
  /**
   * Where the time went, summed over attempts (ms): loading the table, writing manifests (with
   * reading the parent's manifest list), writing the manifest list, and the catalog's commit.
   */
  readonly timings: { readonly loadMs: number; readonly manifestsMs: number; readonly manifestListMs: number; readonly catalogMs: number }
}

export interface CommitOptions {
  readonly policy?: CommitPolicy
  readonly logger?: Logger
  readonly signal?: AbortSignal
  /** The table as last loaded, to skip the first reload. */
  readonly loaded?: LoadedTable
  /** Fixed snapshot id (default: random 63-bit). */
  readonly snapshotId?: bigint
  /**
   * Called with each base the commit is about to be applied to (first attempt and every rebase).
   * Throw to abandon the commit: e.g. the sink, when the base already holds offsets it was about
   * to commit because another instance took over its partitions.
   */
  readonly validate?: (base: TableMetadata, parent: Snapshot | undefined) => void | Promise<void>
  /**
   * After an attempt whose outcome was unknown, called with each reloaded table that does not
   * list the commit's snapshot: return true when the table shows the commit's effect anyway (its
   * snapshot may have been expired meanwhile; the sink: the table's offsets are exactly where this
   * batch ends). The commit then counts as landed (`recovered`) instead of being produced again.
   */
  readonly landed?: (base: TableMetadata) => boolean
  /** Called right before each commit request is sent (chaos tests crash here: "during the commit"). */
  readonly beforeCommit?: () => void
  /** Called when an attempt failed on an outage (not a conflict) and the commit will retry. */
  readonly onRetry?: (err: Error) => void
}

/**
 * Extra snapshot summary properties: fixed, or computed from the base each attempt is applied to
 * (the sink's offsets merge into whatever the base already records).
 */
export type SummaryProperties = Readonly<Record<string, string>> | ((base: TableMetadata, parent: Snapshot | undefined) => Readonly<Record<string, string>>)

/** Summary keys a `replace` carries forward from its parent: data did not change, nor did its provenance. */
const carriedKeyPrefix = 'k2.'

/** The parts of a snapshot a producer computes against one base. */
interface Produced {
  readonly manifests: readonly ManifestFile[]
  readonly operation: SnapshotOperation
  readonly added: { files: number; records: bigint; bytes: bigint }
  readonly deleted: { files: number; records: bigint; bytes: bigint }
  readonly changedPartitions: number
  readonly summary: SummaryProperties
}

type Producer = (base: TableMetadata, parent: Snapshot | undefined, parentManifests: readonly ManifestFile[], target: ManifestTarget, reader: ManifestReader) => Promise<Produced>

/** A random positive 63-bit snapshot id, as Java writers use. */
export function newSnapshotId(): bigint {
  return randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn
}

/**
 * Appends data files as one `append` snapshot on `main`, with `summary` properties added to the
 * standard summary keys (the sink puts its Kafka offsets there).
 */
export function appendFiles(table: TableHandle, files: readonly DataFile[], summary: SummaryProperties = {}, options: CommitOptions = {}): Promise<CommitResult> {
  let written: { key: string; manifest: ManifestFile } | undefined
  return commitSnapshot(table, options, async (_base, _parent, parentManifests, target) => {
    // The new manifest depends only on the files and the snapshot id, so it is written once.
    const key = `${target.spec['spec-id']}`
    if (!written || written.key !== key) {
      const entries: ManifestEntry[] = files.map((dataFile) => ({ status: EntryStatus.Added, dataFile }))
      written = { key, manifest: await writeManifest(target, entries) }
    }
    const partitions = new Set(files.map((f) => JSON.stringify(f.partition, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))))
    return {
      manifests: [written.manifest, ...parentManifests.filter(isLive)],
      operation: 'append',
      added: { files: files.length, records: sum(files.map((f) => f.recordCount)), bytes: sum(files.map((f) => f.fileSizeInBytes)) },
      deleted: { files: 0, records: 0n, bytes: 0n },
      changedPartitions: partitions.size,
      summary,
    }
  })
}

/**
 * Replaces data files by others holding the same rows (compaction): one `replace` snapshot.
 * Manifests that list a removed file are rewritten with it DELETED and their other files
 * EXISTING. If a file to remove is no longer live in the base (another compaction or an expiry
 * got there first), the commit is abandoned with a non-retryable CONFLICT.
 */
export function replaceFiles(table: TableHandle, remove: readonly string[], add: readonly DataFile[], summary: SummaryProperties = {}, options: CommitOptions = {}): Promise<CommitResult> {
  const removing = new Set(remove)
  let added: ManifestFile | undefined
  const rewritten = new Map<string, ManifestFile>()
  return commitSnapshot(table, options, async (_base, _parent, parentManifests, target, reader) => {
    added ??= await writeManifest(
      target,
      add.map((dataFile) => ({ status: EntryStatus.Added, dataFile })),
    )
    const out: ManifestFile[] = [added]
    const found = new Set<string>()
    const partitions = new Set<string>()
    let deletedRecords = 0n
    let deletedBytes = 0n
    for (const m of parentManifests.filter(isLive)) {
      if (m.content !== 0) {
        out.push(m)
        continue
      }
      const entries = await reader.entries(m)
      const hit = entries.filter((e) => e.status !== EntryStatus.Deleted && removing.has(e.dataFile.filePath))
      if (hit.length === 0) {
        out.push(m)
        continue
      }
      for (const e of hit) {
        found.add(e.dataFile.filePath)
        deletedRecords += e.dataFile.recordCount
        deletedBytes += e.dataFile.fileSizeInBytes
        partitions.add(JSON.stringify(e.dataFile.partition, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
      }
      let manifest = rewritten.get(m.manifestPath)
      if (!manifest) {
        const next: ManifestEntry[] = entries
          .filter((e) => e.status !== EntryStatus.Deleted)
          .map((e: LiveEntry) => ({
            status: removing.has(e.dataFile.filePath) ? EntryStatus.Deleted : EntryStatus.Existing,
            snapshotId: removing.has(e.dataFile.filePath) ? target.snapshotId : e.snapshotId,
            sequenceNumber: e.sequenceNumber,
            fileSequenceNumber: e.fileSequenceNumber,
            dataFile: e.dataFile,
          }))
        manifest = await writeManifest(target, next)
        rewritten.set(m.manifestPath, manifest)
      }
      out.push(manifest)
    }
    if (found.size !== removing.size) {
      const missing = [...removing].filter((p) => !found.has(p))
      throw new WorkbenchError(ErrorCode.Conflict, `replace on ${table.name}: ${missing.length} of the files to replace are no longer in the table (e.g. ${missing[0]}); another maintenance commit got there first`, false)
    }
    return {
      manifests: out,
      operation: 'replace',
      added: { files: add.length, records: sum(add.map((f) => f.recordCount)), bytes: sum(add.map((f) => f.fileSizeInBytes)) },
      deleted: { files: removing.size, records: deletedRecords, bytes: deletedBytes },
      changedPartitions: partitions.size,
      summary,
    }
  })
}

/**
 * Merges the table's data manifests into a few, one per day (manifest-rewrite.ts): one `replace`
 * snapshot with the same live files, each EXISTING with its original snapshot id and sequence
 * numbers, so no reader sees a change but the planning gets cheaper. Returns undefined, with no
 * commit, while the table has at most `minManifests` of them. Rebases like every commit: a sink
 * append that lands meanwhile is merged in on the retry.
 */
export async function rewriteManifests(table: TableHandle, rewrite: ManifestRewriteOptions, options: CommitOptions = {}): Promise<(CommitResult & { readonly manifestsBefore: number; readonly manifestsAfter: number }) | undefined> {
  const reader = table.manifests ?? createManifestReader(table.io)
  const loaded = options.loaded ?? (await table.catalog.loadTable(table.namespace, table.name))
  const parent = currentSnapshot(loaded.metadata)
  if (!parent || manifestsToMerge(await reader.manifestList(parent), loaded.metadata['default-spec-id'], rewrite).length === 0) return undefined
  let before = 0
  let after = 0
  const result = await commitSnapshot({ ...table, manifests: reader }, { ...options, loaded }, async (_base, _parent, parentManifests, target) => {
    const merging = manifestsToMerge(parentManifests.filter(isLive), target.spec['spec-id'], { ...rewrite, minManifests: 0 })
    const merged = new Set(merging.map((m) => m.manifestPath))
    const entries = (await Promise.all(merging.map((m) => reader.entries(m)))).flat()
    const written = await Promise.all(groupForRewrite(entries, rewrite.maxEntriesPerManifest).map((group) => writeManifest(target, group)))
    before = merging.length
    after = written.length
    return {
      manifests: [...written, ...parentManifests.filter((m) => isLive(m) && !merged.has(m.manifestPath))],
      operation: 'replace',
      added: { files: 0, records: 0n, bytes: 0n },
      deleted: { files: 0, records: 0n, bytes: 0n },
      changedPartitions: 0,
      summary: { 'manifests-created': String(written.length), 'manifests-replaced': String(merging.length), 'entries-processed': String(entries.length) },
    }
  })
  return { ...result, manifestsBefore: before, manifestsAfter: after }
}

/** A manifest with live files (one holding only DELETED entries is dropped from the next snapshot). */
function isLive(m: ManifestFile): boolean {
  return m.addedFilesCount > 0 || m.existingFilesCount > 0
}

function sum(xs: readonly bigint[]): bigint {
  let s = 0n
  for (const x of xs) s += x
  return s
}

/** Adds `delta` to a total of the parent's summary (spec: Snapshot summary, "total-*" keys). */
function total(parent: Snapshot | undefined, key: string, delta: bigint): string {
  const before = parent?.summary[key]
  return String((before !== undefined && /^-?\d+$/.test(before) ? BigInt(before) : 0n) + delta)
}

/**
 * The optimistic commit loop (spec: "Optimistic Concurrency"; REST: updateTable):
 * 1. take the base (current `main` snapshot) and produce manifests against it;
 * 2. write a manifest list with the next sequence number and send `add-snapshot` +
 *    `set-snapshot-ref` with `assert-table-uuid` and `assert-ref-snapshot-id`;
 * 3. on 409, reload, rebase (produce again on the new base) and retry with backoff;
 * 4. on an unknown outcome (5xx, no answer), reload and look for our snapshot id: if it is there
 *    the commit landed; if not, retry. Outages are waited out until the signal fires.
 */
async function commitSnapshot(table: TableHandle, options: CommitOptions, produce: Producer): Promise<CommitResult> {
  // Set once an attempt was sent and its outcome is unknown: from then on a failure cannot say
  // the snapshot is absent (the catalog may apply it after we stop asking), so none is marked
  // as never having landed.
  const state = { uncertain: false }
  try {
    return await commitAttempts(table, options, produce, state)
  } catch (err) {
    if (!state.uncertain && err instanceof Error) neverLanded.add(err)
    throw err
  }
}

const neverLanded = new WeakSet<Error>()

/**
 * True when a commit failed with its snapshot known to be absent from the table: every attempt
 * sent was refused (409, 4xx) or none was sent. Only then may the caller delete the files it
 * uploaded for it. After an unknown outcome (5xx, no answer, the worker stopped while the answer
 * was in flight) the catalog may have applied the commit, so the files are left for the orphan
 * sweep, which deletes them only once no snapshot references them.
 */
export function commitNeverLanded(err: unknown): boolean {
  return err instanceof Error && neverLanded.has(err)
}

async function commitAttempts(table: TableHandle, options: CommitOptions, produce: Producer, state: { uncertain: boolean }): Promise<CommitResult> {
  const policy = options.policy ?? defaultCommitPolicy
  const log = (options.logger ?? silentLogger).child('iceberg')
  const reader = table.manifests ?? createManifestReader(table.io)
  const snapshotId = options.snapshotId ?? newSnapshotId()
  const fullName = [...table.namespace, table.name].join('.')
  const started = Date.now()
  let conflicts = 0
  let retries = 0
  let loaded = options.loaded
  const timings = { loadMs: 0, manifestsMs: 0, manifestListMs: 0, catalogMs: 0 }
  let mark = Date.now()
  const lap = (phase: keyof typeof timings): void => {
    const now = Date.now()
    timings[phase] += now - mark
    mark = now
  }
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new WorkbenchError(ErrorCode.Aborted, `commit to ${fullName} aborted`)
    let sent = false
    try {
      mark = Date.now()
      loaded ??= await table.catalog.loadTable(table.namespace, table.name)
      lap('loadMs')
      const base = loaded.metadata
      if (base.snapshots.some((s) => s['snapshot-id'] === snapshotId) || (state.uncertain && options.landed?.(base))) {
        return done(loaded, true)
      }
      const parent = currentSnapshot(base)
      await options.validate?.(base, parent)
      const schema = schemaById(base)
      const spec = specById(base)
      const target: ManifestTarget = { io: table.io, location: base.location, schema, spec, partitionType: partitionType(schema, spec, transformResultType), snapshotId }
      const parentManifests = parent ? await reader.manifestList(parent) : []
      const produced = await produce(base, parent, parentManifests, target, reader)
      lap('manifestsMs')
      const sequenceNumber = base['last-sequence-number'] + 1n
      const manifests = produced.manifests.map((m) => assignSequenceNumber(m, sequenceNumber))
      const listPath = `${base.location.replace(/\/+$/, '')}/metadata/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`
      await table.io.write(listPath, await encodeManifestList({ snapshotId, parentSnapshotId: parent?.['snapshot-id'], sequenceNumber, formatVersion: 2, manifests }))
      lap('manifestListMs')
      const { added, deleted } = produced
      const carried: Record<string, string> = {}
      if (produced.operation === 'replace' && parent) for (const [k, v] of Object.entries(parent.summary)) if (k.startsWith(carriedKeyPrefix)) carried[k] = v
      const summary: Record<string, string> = {
        ...carried,
        ...(typeof produced.summary === 'function' ? produced.summary(base, parent) : produced.summary),
        operation: produced.operation,
        'added-data-files': String(added.files),
        'added-records': String(added.records),
        'added-files-size': String(added.bytes),
        'changed-partition-count': String(produced.changedPartitions),
        'total-records': total(parent, 'total-records', added.records - deleted.records),
        'total-files-size': total(parent, 'total-files-size', added.bytes - deleted.bytes),
        'total-data-files': total(parent, 'total-data-files', BigInt(added.files - deleted.files)),
        'total-delete-files': total(parent, 'total-delete-files', 0n),
        'total-position-deletes': total(parent, 'total-position-deletes', 0n),
        'total-equality-deletes': total(parent, 'total-equality-deletes', 0n),
      }
      if (deleted.files > 0) {
        summary['deleted-data-files'] = String(deleted.files)
        summary['deleted-records'] = String(deleted.records)
        summary['removed-files-size'] = String(deleted.bytes)
      }
      const snapshot: Snapshot = {
        'snapshot-id': snapshotId,
        'parent-snapshot-id': parent?.['snapshot-id'],
        'sequence-number': sequenceNumber,
        'timestamp-ms': Date.now(),
        'manifest-list': listPath,
        summary: summary as Snapshot['summary'],
        'schema-id': schema['schema-id'],
      }
      options.beforeCommit?.()
      mark = Date.now()
      sent = true
      const committed = await table.catalog.commitTable(
        table.namespace,
        table.name,
        [
          { type: 'assert-table-uuid', uuid: base['table-uuid'] },
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent?.['snapshot-id'] ?? null },
        ],
        [
          { action: 'add-snapshot', snapshot },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapshotId },
        ],
      )
      lap('catalogMs')
      return done(committed, false)
    } catch (err) {
      // A 409 or another 4xx answer says the catalog refused the request; anything else after
      // sending it (5xx, no answer, an abort, an answer we could not read) leaves it unknown.
      if (sent && !isWorkbenchError(err, ErrorCode.Conflict, ErrorCode.HttpStatus, ErrorCode.NotFound)) state.uncertain = true
      if (isWorkbenchError(err, ErrorCode.Conflict) && err.retryable) {
        conflicts++
        if (conflicts > policy.maxConflicts) throw new WorkbenchError(ErrorCode.Conflict, `commit to ${fullName} gave up after ${conflicts} conflicts: ${errorMessage(err)}`, true, { cause: err })
        log.debug(`commit conflict on ${fullName}: reloading and rebasing (${conflicts}/${policy.maxConflicts})`, { snapshotId: String(snapshotId) })
      } else if (isWorkbenchError(err) && err.retryable) {
        retries++
        log.warn(`commit to ${fullName} did not complete: ${errorMessage(err)}; reloading and retrying (attempt ${attempt})`, { code: err.code })
        options.onRetry?.(err)
      } else {
        throw err
      }
      loaded = undefined
      await sleep(backoffDelay(policy.backoff, Math.min(attempt, 20)), options.signal)
    }
  }

  function done(t: LoadedTable, recovered: boolean): CommitResult {
    const snap = t.metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId)
    return {
      snapshotId,
      sequenceNumber: snap?.['sequence-number'] ?? t.metadata['last-sequence-number'],
      metadata: t.metadata,
      metadataLocation: t['metadata-location'],
      conflicts,
      retries,
      durationMs: Date.now() - started,
      recovered,
      timings: { ...timings },
    }
  }
}
