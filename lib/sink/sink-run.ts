import type { Consumer } from 'kafkajs'
import { ErrorCode, errorMessage, isWorkbenchError, sleep } from '../errors/index'
import type { DegradationManager } from '../degrade/degradation-manager'
import type { Logger } from '../logger/index'
import { createBatchCommitter, type BatchCommitter } from './batch-commit'
import { createOutageRetry, type OutageRetry } from './outage-retry'
import type { IcebergSinkDeps, IcebergSinkOptions } from './sink-options'
import { createSinkSignals, type SinkSignalSampler } from './sink-signals'
import { beginFlush, clearStaged, endFlush, flushDue, lagFigures, repositionSeeks, resetToTable, stageRows, type AnySinkStream, type BatchClock } from './sink-stream'
import { describeOffsets, tableOffsets } from './snapshot-offsets'
import { progressCommits } from './stream-progress'

/**
 * What the parts of one sink run share: its streams, its helpers, and the few flags they hand
 * each other (joining the group asks for a reposition, a failed commit ends the run).
 */
export interface SinkRun {
  readonly options: IcebergSinkOptions
  readonly deps: IcebergSinkDeps
  readonly log: Logger
  /** In the order they were opened (trades, quotes, then the deferred ones). */
  readonly streams: AnySinkStream[]
  readonly retry: OutageRetry
  /** The commits' signal: it fires `stopGraceMs` after the stop signal. */
  readonly commitSignal: AbortSignal
  /** Lag and backlog count from here at most (stream-progress.ts): downtime is not overload. */
  readonly sinkStartedMs: number
  readonly signals: SinkSignalSampler
  readonly commit: BatchCommitter
  /** When a batch opens, and the batch scale in force then. */
  readonly clock: BatchClock
  /** Runs `fn` once everything queued before it has settled. */
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>
  /** Set on joining the group and when a batch is abandoned: the next batch repositions from the tables first. */
  repositionNeeded: boolean
  /** The first failed commit, or the consumer's crash: the run ends with it. */
  failure: unknown
  /** Absent without a degradation policy: always NORMAL. */
  manager: DegradationManager | undefined
  /** Publishes the progress (a no-op until the consumer has joined: createProgressPublisher). */
  publishProgress: () => Promise<void>
}

export function createSinkRun(options: IcebergSinkOptions, deps: IcebergSinkDeps, signal: AbortSignal, commitSignal: AbortSignal): SinkRun {
  const log = deps.logger.child('sink')
  const retry = createOutageRetry(log, signal)
  const startedMs = Date.now()
  // One thing at a time: batches, timed flushes and repositioning never interleave.
  let chain: Promise<unknown> = Promise.resolve()
  const run: SinkRun = {
    options,
    deps,
    log,
    streams: [],
    retry,
    commitSignal,
    sinkStartedMs: startedMs,
    signals: createSinkSignals({ maxAgeMs: options.maxAgeMs, sinceMs: startedMs }),
    commit: createBatchCommitter({
      io: deps.io,
      log,
      commitLogger: deps.logger,
      metrics: deps.metrics,
      retry,
      commitPolicy: options.commitPolicy,
      maxUncommittedMs: options.maxUncommittedMs,
      onPhase: options.onPhase,
      onCommitted: (s, latencyMs) => {
        run.signals.noteCommit(latencyMs)
        updateLag(run, s)
        void run.publishProgress()
      },
      onAbandoned: () => {
        run.repositionNeeded = true
      },
    }),
    clock: { now: () => Date.now(), scale: () => batchScale(run) },
    exclusive: <T>(fn: () => Promise<T>): Promise<T> => {
      const next = chain.then(fn, fn)
      chain = next.catch(() => undefined)
      return next
    },
    repositionNeeded: false,
    failure: undefined,
    manager: undefined,
    publishProgress: async () => undefined,
  }
  return run
}

/** The batch scale the degradation level asks for now (1 at NORMAL or without a policy). */
export function batchScale(run: SinkRun): number {
  return run.manager?.actions().batchScale ?? 1
}

/**
 * Hands what is staged to a commit and returns once it has started: the previous commit of
 * the table must have finished first (commits stay in offset order, one in flight), and
 * staging goes on into the other writer while this one is written, uploaded and committed.
 */
export async function startFlush(run: SinkRun, s: AnySinkStream, why: string, until: AbortSignal = run.commitSignal): Promise<void> {
  stageRows(s)
  if (s.inFlight) await s.inFlight
  if (run.repositionNeeded || run.failure) return
  const batch = beginFlush(s)
  if (!batch) return
  s.inFlight = run
    .commit(s, batch, why, until)
    .catch((err: unknown) => {
      run.failure ??= err
    })
    .finally(() => endFlush(s))
}

/** Starts a flush and waits for its commit (age trigger with nothing else to do, and stop). */
export async function flush(run: SinkRun, s: AnySinkStream, why: string, until: AbortSignal = run.commitSignal): Promise<void> {
  await startFlush(run, s, why, until)
  await s.inFlight
}

/** Sets the lake-lag gauges of a stream. */
export function updateLag(run: SinkRun, s: AnySinkStream): void {
  // The lag gauges describe the hot path; a deferred backlog waits on purpose.
  if (s.deferred) return
  const lag = lagFigures(s, Date.now())
  run.deps.metrics.get('sinkLagRecords').labels(s.table.name).set(lag.records)
  run.deps.metrics.get('sinkLagSeconds').labels(s.table.name).set(lag.seconds)
}

/**
 * After joining the group (or abandoning a batch): once the commits in flight have settled, drops
 * what is staged and positions every stream from its table, never from the group's offsets.
 */
export async function reposition(run: SinkRun, consumer: Pick<Consumer, 'seek'>): Promise<void> {
  for (const s of run.streams) await s.inFlight
  run.repositionNeeded = false
  for (const s of run.streams) {
    await clearStaged(s)
    const loaded = await run.retry.untilDone(`reloading ${s.table.name}`, () => run.deps.catalog.loadTable(s.table.namespace, s.table.name))
    const held = tableOffsets(loaded.metadata, s.topic)
    for (const { partition, offset } of repositionSeeks(s.firstStaged, held)) consumer.seek({ topic: s.topic, partition, offset: String(offset) })
    resetToTable(s, loaded, held)
  }
  run.log.info('positioned from the tables after a rebalance', Object.fromEntries(run.streams.map((s) => [s.table.name, describeOffsets(s.committed)])))
}

/**
 * Every second on a timer of its own, and after each lake commit: the group's offsets are the
 * lake's (what lag tools expect), each with the sink's progress in its metadata, which the
 * ingest's load shedder reads and decides on (lib/degrade/sink-progress.ts): so the offsets are
 * more than monitoring, though the sink never positions itself from them (positions always come
 * from the table). Partitions the table holds nothing of yet are left out. A failed publish is
 * retried the next second. Its own timer, because the age loop waits while a commit is in
 * flight: a slow commit used to silence the progress, and the ingest read the sink as stopped,
 * not behind, and never shed. Not while an operation retries through an outage (`failing`).
 */
export function createProgressPublisher(run: SinkRun, consumer: Pick<Consumer, 'commitOffsets'>): () => Promise<void> {
  let publishing = false
  return async () => {
    if (publishing || run.retry.failing > 0) return
    publishing = true
    try {
      const now = Date.now()
      const scaleNow = batchScale(run)
      const offsets = run.streams.flatMap((s) => progressCommits(s, now, run.options.maxAgeMs, scaleNow, run.sinkStartedMs))
      if (offsets.length > 0) await consumer.commitOffsets(offsets)
    } catch (err) {
      run.log.debug(`publishing the sink's progress failed; the next second retries: ${errorMessage(err)}`)
    } finally {
      publishing = false
    }
  }
}

/** Age-based flushes: the lake lag bound. Runs until `signal` fires; throws the run's failure. */
export async function flushOnAge(run: SinkRun, signal: AbortSignal): Promise<void> {
  const maxAgeMs = (): number => run.options.maxAgeMs * batchScale(run)
  while (!signal.aborted) {
    if (run.failure) throw run.failure
    await sleep(Math.min(1000, run.options.maxAgeMs / 4), signal).catch(() => undefined)
    if (signal.aborted) break
    for (const s of run.streams) {
      if (flushDue(s, Date.now(), maxAgeMs())) await run.exclusive(() => startFlush(run, s, 'age'))
      else updateLag(run, s)
    }
  }
}

/**
 * The last of the stop, once the consumer has stopped: waits for the commits in flight, then
 * commits what is staged, within the stop's grace, so a restart has little to re-read.
 */
export function finalFlush(run: SinkRun): Promise<void> {
  const until = run.commitSignal
  return run.exclusive(async () => {
    for (const s of run.streams) await s.inFlight
    // A commit abandoned because the stop's grace ran out is re-read on restart, not a failure.
    if (run.failure && !isWorkbenchError(run.failure, ErrorCode.Aborted)) throw run.failure
    if (run.failure) run.log.warn(`stopping: a commit in flight was abandoned; a restart re-reads its records: ${errorMessage(run.failure)}`)
    for (const s of run.streams) {
      if (!run.repositionNeeded) await flush(run, s, 'stop', until).catch((err: unknown) => run.log.warn(`final flush of ${s.table.name} failed; a restart re-reads it: ${errorMessage(err)}`))
    }
  })
}
