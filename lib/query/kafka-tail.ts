import { randomUUID } from 'node:crypto'
import * as os from 'node:os'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Batch, Consumer, Kafka } from 'kafkajs'
// kafkajs's idle request-queue timer costs a reader more than its records (lib/ingest/kafkajs-patches.ts).
import '../ingest/kafkajs-patches'
import { ErrorCode, WorkbenchError, backoffDelay, errorMessage, isWorkbenchError, settleWithin, sleep } from '../errors/index'
import { sqlString } from '../iceberg/duckdb-sql'
import type { Logger } from '../logger/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import { tailColumns } from './tail-columns'
import type { LatestKeeper } from './latest-index'
import { TopicFolds, type FoldedRanges } from './tail-folds'
import { TopicTail, type TailStats, type TailStream } from './tail-topic'
import { createFetchPacing, createSerialRunner, createTailWaiters, type FetchPacing } from './tail-waiters'

/**
 * The Kafka tail: records of the topics feeding the tables that the lake may not hold yet, kept
 * in a DuckDB table per topic with their partition and offset, so a query can take exactly the
 * records at offsets [a snapshot's committed offsets, the high-water mark at query start).
 *
 * One consumer in a group of its own reads every partition continuously (read_committed, as the
 * ingestor writes transactions). It starts at the offsets the tables held when the engine
 * started; rows below the offsets of snapshots no query can still pin are trimmed. Records that
 * cannot be decoded are skipped and counted: the sink sends exactly those to the dead-letter
 * topic, so the lake does not hold them either.
 *
 * Cheap per record (docs/decisions.md, "A cheap Kafka tail"): values are decoded by a decoder
 * compiled per writer schema id straight into column arrays, and appended to DuckDB a full
 * DataChunk at a time; a query, or a trim, first appends and flushes whatever is pending. Fetches
 * are paced: at most one per `fetchIntervalMs` while records flow, at once when a query waits.
 *
 * Read on demand (docs/decisions.md, "The tail reads while queries come"): after `idleAfterMs`
 * with no query waiting for it, the tail pauses every partition and costs next to nothing. The
 * next query resumes it from the later of where it stopped and the lake's committed offsets
 * (trims keep raising those while it rests), so that query reads at most the records of one
 * commit interval before it answers.
 */
export interface KafkaTail {
  /** The DuckDB table of a topic's tail (`_partition`, `_offset`, `_seq`: the order rows were appended in, then one column per table field). */
  tableOf(topic: string): string
  /**
   * SQL selecting the tail records of `topic` at offsets [from, to) per partition, with the
   * table's columns converted to their Iceberg types (as the lake files read).
   */
  selectSql(topic: string, from: SnapshotOffsets, to: SnapshotOffsets): string
  /**
   * The same selection with the ranges taken from a relation, `bounds` (columns `scope`, `topic`,
   * `p`, `b`, `e`: offsets [b, e) of partition p, for the reader named `scope`, since two tables
   * read one topic from different offsets; `rs`: a `_seq` none of those rows is below, 0 for none,
   * which lets DuckDB skip older rows), when the query runs: the SQL text stays the same from
   * query to query, so a view over it and a statement prepared on it are reused.
   */
  boundedSql(topic: string, bounds: string, scope: string): string
  /**
   * The partial rows of the rollup `fold` (a fold the topic's stream declared) of the same
   * selection, `bounds` having more columns, `cl` and `ch`: the offsets [cl, ch) of partition p
   * whose records are read as folded blocks, and `hs`, `he` and `rs`: the `_seq` ranges of the
   * records around them (`foldedRanges`; cl = ch = b for none). Without `raw` (the read has no
   * record outside whole blocks), the blocks' rows alone.
   */
  foldedSql(topic: string, fold: string, bounds: string, scope: string, raw?: boolean): string
  /**
   * Splits the folded blocks of `topic` that hold one of `at`'s offsets inside (a snapshot a
   * rollup reads from), so a read from there takes whole blocks from its first record (D90).
   */
  alignFolds(topic: string, at: SnapshotOffsets): Promise<void>
  /** Per partition, the folded blocks a read of [from, to) takes whole and the `_seq` ranges of the records around them, and the records folded (none for a topic without folds). */
  foldedRanges(topic: string, from: SnapshotOffsets, to: SnapshotOffsets): FoldedRanges
  /** Throws CONFLICT (retryable) when the tail no longer keeps the records [from, to) of `topic` (selectSql checks this itself). */
  checkKept(topic: string, from: SnapshotOffsets, to: SnapshotOffsets): void
  /** Records kept at offsets [from, to) per partition (what selectSql selects), counted without a query. */
  count(topic: string, from: SnapshotOffsets, to: SnapshotOffsets): number
  /**
   * Waits until every partition of `topic` has been read up to `to` (exclusive) and those rows
   * are in the tail's table for other connections to read.
   */
  waitFor(topic: string, to: SnapshotOffsets, timeoutMs: number): Promise<void>
  /**
   * Where every partition of `topic` stands now, its rows made readable by other connections, when
   * the tail is caught up with what it fetched (reading, no batch fetched and waiting or being
   * taken); undefined when it is not, or rests (then a query waits for its marks). A query may
   * read up to these offsets and check them against its marks after it ran (D89).
   */
  readNow(topic: string): Promise<SnapshotOffsets | undefined>
  /**
   * Whether every partition of `topic` has been read up to `to` (exclusive) by a tail that is
   * reading: the records below are taken (and noted by its latest index) if not yet appended.
   * Counts as a query's demand, as readNow does.
   */
  reached(topic: string, to: SnapshotOffsets): boolean
  /** The latest row per key of `topic`'s records taken so far (latest-index.ts, D91), when its stream keeps one. */
  latestOf(topic: string): LatestKeeper | undefined
  /** Drops rows below `to` (a snapshot's offsets that no query will pin an older one than). */
  trim(topic: string, to: SnapshotOffsets): Promise<void>
  /** Next offset to read per partition, the first offset still kept, and whether the tail is reading or resting. */
  positions(topic: string): { readonly next: ReadonlyMap<number, bigint>; readonly kept: ReadonlyMap<number, bigint>; readonly reading: boolean }
  /**
   * Records kept, skipped (undecodable), fetched batches, rows trimmed; `fastRecords` of the
   * records went through a compiled decoder; `rests` times the tail paused for want of queries.
   */
  readonly stats: TailStats
  close(): Promise<void>
}

export interface KafkaTailOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly streams: ReadonlyArray<TailStream<any>>
  /** A connection the tail owns (appends and trims). */
  readonly connection: DuckDBConnection
  readonly kafka: Kafka
  readonly logger: Logger
  /** Consumer group id (default `k2-query-tail-<host>-<pid>-<random>`: the group only assigns partitions; no offsets are committed). */
  readonly groupId?: string
  /** Rows gathered per DuckDB append, 1..2048 (default 2048, one full DataChunk). */
  readonly appendRows?: number
  /**
   * Least time between the starts of two fetches that return records (default 1000 ms): records
   * arriving meanwhile come in the next fetch, so each fetch and each DuckDB append carries more
   * of them. A query that waits for the tail ends the pause at once, so it adds no latency.
   */
  readonly fetchIntervalMs?: number
  /**
   * Rest after this long with no query waiting for the tail (default 60 000 ms; 0 reads always):
   * every partition is paused until the next query, which resumes from the lake's offsets.
   */
  readonly idleAfterMs?: number
  /** Least time between two folds of a topic's new records for the rollups its stream names (default 1000 ms). */
  readonly foldIntervalMs?: number
}

/** Least time between two folds of a topic while queries read the tail (D90). */
const demandFoldMs = 20

const tailRetry = { attempts: 0, initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0.3 }

/**
 * Opens a table and appenders per stream, positioned at the later of the stream's start and the
 * topic's low-water mark, and the tables of the folds it names.
 */
async function openTopicTails(options: KafkaTailOptions, chunkRows: number, stats: TailStats, log: Logger): Promise<{ topics: Map<string, TopicTail>; folds: Map<string, TopicFolds> }> {
  const conn = options.connection
  const topics = new Map<string, TopicTail>()
  const folds = new Map<string, TopicFolds>()
  const admin = options.kafka.admin()
  await admin.connect()
  try {
    for (const [i, stream] of options.streams.entries()) {
      const table = `k2_tail_${i}_${stream.topic.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)}`
      for (const sql of TopicTail.createSql(table, tailColumns(stream.schema))) await conn.run(sql)
      const t = new TopicTail(stream, table, await conn.createAppender(table), chunkRows, stats, log)
      if (stream.folds && stream.folds.length > 0) {
        const f = new TopicFolds(t, stream.folds, options.foldIntervalMs ?? 1000, log)
        for (const sql of f.createSql()) await conn.run(sql)
        folds.set(stream.topic, f)
      }
      for (const p of await admin.fetchTopicOffsets(stream.topic)) {
        const low = BigInt(p.low)
        const start = stream.start.get(p.partition) ?? 0n
        t.next.set(p.partition, start > low ? start : low)
        t.kept.set(p.partition, start > low ? start : low)
        t.latest?.restart(p.partition, start > low ? start : low)
      }
      topics.set(stream.topic, t)
    }
  } finally {
    await admin.disconnect()
  }
  return { topics, folds }
}

/** What the consumer's batches are handed to. */
interface BatchSink {
  readonly topics: ReadonlyMap<string, TopicTail>
  readonly pacing: FetchPacing
  /** Batches being taken now (between the consumer handing one over and its position moving). */
  readonly taking: { count: number }
  /** Whether a first batch may wait out the fetch interval (no query waits, not closing). */
  readonly mayPause: () => boolean
  readonly closing: () => boolean
  readonly exclusive: <T>(fn: () => Promise<T> | T) => Promise<T>
  /** After a batch was appended: folds the topic's new records when a fold is due. */
  readonly fold: (t: TopicTail) => Promise<void>
  /** A batch (or a batch of control records only) moved a partition's position: waiters may go. */
  readonly advanced: (t: TopicTail, partition: number, lastOffset: string) => void
  readonly stats: TailStats
  readonly log: Logger
}

/** Starts the consumer; resolves once it joined its group and positioned itself (or after 30 s). */
async function startConsumer(options: KafkaTailOptions, sink: BatchSink): Promise<Consumer> {
  const { topics, pacing } = sink
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId ?? `k2-query-tail-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    readUncommitted: false,
    // A fetch with nothing to return waits at the broker this long; new records end it at once.
    maxWaitTimeInMs: 1000,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  })
  consumer.on(consumer.events.FETCH_START, () => pacing.fetchStarted())
  consumer.on(consumer.events.FETCH, () => pacing.fetchReturned())
  let joined: () => void = () => undefined
  const firstJoin = new Promise<void>((resolve) => (joined = resolve))
  // After every (re)join, continue each partition where the tail stands: rows already kept stay valid.
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
      const t = topics.get(topic)
      if (!t) continue
      for (const p of partitions) consumer.seek({ topic, partition: p, offset: String(t.next.get(p) ?? 0n) })
    }
    joined()
  })
  // Batches that were all control records (transaction markers) or aborted records still move the position.
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const t = topics.get(e.payload.topic)
    if (!t || e.payload.batchSize > 0) return
    sink.advanced(t, e.payload.partition, e.payload.lastOffset)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [...topics.keys()], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat, isRunning }) => {
      const t = topics.get(batch.topic)
      if (!t) return
      sink.taking.count++
      try {
        await pacing.beforeBatch(sink.mayPause)
        await takeBatch(t, batch, heartbeat, () => !sink.closing() && isRunning(), sink.log)
        await sink.exclusive(() => t.append(false))
        await sink.fold(t)
        sink.stats.batches++
        sink.advanced(t, batch.partition, batch.lastOffset())
      } finally {
        sink.taking.count--
      }
    },
  })
  const joinTimeout = setTimeout(() => joined(), 30_000)
  await firstJoin
  clearTimeout(joinTimeout)
  return consumer
}

/**
 * A retryable failure (the registry down) retries the batch until it passes: a record is
 * never skipped for it. Queries waiting for these offsets wait too, up to their timeout.
 */
async function takeBatch(t: TopicTail, batch: Batch, heartbeat: () => Promise<void>, running: () => boolean, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await t.take(batch.partition, batch.messages)
      return
    } catch (err) {
      if (!(isWorkbenchError(err) && err.retryable) || !running()) throw err
      if (attempt === 1 || attempt % 10 === 0) log.warn(`reading the Kafka tail of ${batch.topic} failed; retrying, no record skipped: ${errorMessage(err)}`, { partition: batch.partition, attempt })
      await sleep(backoffDelay(tailRetry, Math.min(attempt, 8)))
      await heartbeat()
    }
  }
}

/** Whether the tail reads or rests, and the demand that keeps it reading. */
interface TailRest {
  readonly resting: boolean
  /** A query wants the tail: it reads again (from where it stands) if it rested. */
  wakeUp(): void
  /** A query was served: the idle time counts from now. */
  noteDemand(): void
  stop(): void
}

/**
 * Resting: with no query for idleAfterMs the consumer pauses every partition (kafkajs then
 * only heartbeats); a query's wait resumes it where the tail stands, which trims have moved up
 * to the lake's offsets meanwhile.
 */
function createTailRest(consumer: Consumer, topics: ReadonlyMap<string, TopicTail>, idleAfterMs: number, busy: () => boolean, stats: TailStats, log: Logger): TailRest {
  const subscribed = [...topics.keys()].map((topic) => ({ topic }))
  let resting = false
  let lastDemand = performance.now()
  const rest = (): void => {
    if (resting || busy() || performance.now() - lastDemand < idleAfterMs) return
    resting = true
    stats.rests++
    consumer.pause(subscribed)
    log.info(`the Kafka tail rests: no query for ${Math.round(idleAfterMs / 1000)} s; the next query resumes it from the lake's offsets`)
  }
  const restTimer = idleAfterMs > 0 ? setInterval(rest, Math.min(5_000, Math.max(50, idleAfterMs / 4))) : undefined
  restTimer?.unref()
  return {
    get resting() {
      return resting
    },
    wakeUp() {
      lastDemand = performance.now()
      if (!resting) return
      resting = false
      for (const [topic, t] of topics) for (const [partition, offset] of t.next) consumer.seek({ topic, partition, offset: String(offset) })
      consumer.resume(subscribed)
      log.info('the Kafka tail reads again for a query', Object.fromEntries([...topics].map(([topic, t]) => [topic, [...t.next].map(([p, o]) => `${p}@${o}`).join(' ')])))
    },
    noteDemand() {
      lastDemand = performance.now()
    },
    stop() {
      if (restTimer) clearInterval(restTimer)
    },
  }
}

/**
 * The WHERE clause of a tail read at offsets [from, to) per partition; CONFLICT (retryable) when
 * the tail no longer keeps a partition from `from` (trimmed past an old pinned snapshot).
 */
function tailRangeWhere(topic: string, kept: ReadonlyMap<number, bigint>, from: SnapshotOffsets, to: SnapshotOffsets): string {
  checkKeptRange(topic, kept, from, to)
  const ranges: string[] = []
  for (const [p, end] of to) {
    const begin = from.get(p) ?? 0n
    if (end > begin) ranges.push(`(t._partition = ${p} AND t._offset >= ${begin} AND t._offset < ${end})`)
  }
  return ranges.length ? ranges.join(' OR ') : 'false'
}

function checkKeptRange(topic: string, kept: ReadonlyMap<number, bigint>, from: SnapshotOffsets, to: SnapshotOffsets): void {
  for (const p of to.keys()) {
    const begin = from.get(p) ?? 0n
    if ((kept.get(p) ?? 0n) > begin) {
      throw new WorkbenchError(ErrorCode.Conflict, `the Kafka tail of ${topic} partition ${p} keeps offsets from ${kept.get(p)}, but the query needs them from ${begin}: the snapshot it pinned is older than the tail (retry)`, true)
    }
  }
}

/** Raises a topic's kept (and, behind them, next) offsets to `to`; the conditions of the rows to delete, one per partition raised. */
function raiseKept(t: TopicTail, to: SnapshotOffsets): string[] {
  const drop: string[] = []
  for (const [p, o] of to) {
    if (o > (t.kept.get(p) ?? 0n)) {
      t.kept.set(p, o)
      // Records below the lake's offsets are never needed: a resting tail resumes there, and
      // a reading one skips them as they come. The latest index then notes records from there.
      if (o > (t.next.get(p) ?? 0n)) {
        t.next.set(p, o)
        t.latest?.restart(p, o)
      }
      t.offsets.get(p)?.dropBelow(Number(o))
      drop.push(`(_partition = ${p} AND _offset < ${o})`)
    }
  }
  return drop
}

/** Starts the tail consumer; resolves once it has joined its group and positioned itself. */
export async function createKafkaTail(options: KafkaTailOptions): Promise<KafkaTail> {
  const log = options.logger.child('tail')
  const closeTimeoutMs = 15_000
  const conn = options.connection
  const stats: TailStats = { records: 0, skipped: 0, batches: 0, trimmed: 0, fastRecords: 0, rests: 0 }
  const chunkRows = options.appendRows ?? 2048
  if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 2048) throw new WorkbenchError(ErrorCode.ConfigInvalid, `appendRows must be an integer in 1..2048 (a DataChunk holds 2048 rows), not ${chunkRows}`)
  const { topics, folds } = await openTopicTails(options, chunkRows, stats, log)

  const waiters = createTailWaiters((topic) => topics.get(topic)!.next)
  let closing = false
  const advanced = (t: TopicTail, partition: number, lastOffset: string): void => {
    const after = BigInt(lastOffset) + 1n
    if (after > (t.next.get(partition) ?? 0n)) t.next.set(partition, after)
    waiters.wake()
  }
  const exclusive = createSerialRunner()
  const fetchIntervalMs = options.fetchIntervalMs ?? 1000
  const pacing = createFetchPacing(fetchIntervalMs)
  const taking = { count: 0 }
  const foldsSoon = new Set<TopicFolds>()
  /** When a query last read the tail: while queries come more often than fetches would, fetches are not paced (readNow then finds the tail caught up). */
  let lastRead = -Infinity
  const readRecently = (): boolean => performance.now() - lastRead <= fetchIntervalMs
  const consumer = await startConsumer(options, {
    topics,
    pacing,
    taking,
    mayPause: () => waiters.size === 0 && !closing && !readRecently(),
    closing: () => closing,
    exclusive,
    fold: async (t) => {
      const f = folds.get(t.stream.topic)
      if (!f) return
      if (f.due()) await exclusive(() => f.fold(conn))
      // While queries read the tail, its records are folded as they come, once per fetch rather
      // than per batch (its batches are taken one after another), and at most every
      // demandFoldMs, which bounds the folds' fixed cost when fetches come back to back under a
      // heavy load: a query then finds every record in whole blocks, with no fold of its own to
      // plan (D90).
      else if (readRecently() && !foldsSoon.has(f)) {
        foldsSoon.add(f)
        setTimeout(() => {
          foldsSoon.delete(f)
          if (taking.count === 0 && !closing) exclusive(() => f.fold(conn)).catch((err: unknown) => log.warn('folding the Kafka tail failed; its records are read raw', { topic: t.stream.topic, error: errorMessage(err) }))
        }, Math.max(0, demandFoldMs - f.sinceFold()))
      }
    },
    advanced,
    stats,
    log,
  })
  const rest = createTailRest(consumer, topics, options.idleAfterMs ?? 60_000, () => closing || waiters.size > 0, stats, log)

  const state = (topic: string): TopicTail => {
    const t = topics.get(topic)
    if (!t) throw new WorkbenchError(ErrorCode.ConfigInvalid, `the Kafka tail does not read topic ${topic} (it reads ${[...topics.keys()].join(', ')})`)
    return t
  }

  return {
    stats,
    tableOf: (topic) => state(topic).table,
    positions(topic) {
      const t = state(topic)
      return { next: new Map(t.next), kept: new Map(t.kept), reading: !rest.resting }
    },
    selectSql(topic, from, to) {
      const t = state(topic)
      return t.selectSql(tailRangeWhere(topic, t.kept, from, to))
    },
    boundedSql(topic, bounds, scope) {
      const t = state(topic)
      return t.selectSql(`r.scope = ${sqlString(scope)} AND r.topic = ${sqlString(topic)} AND t._partition = r.p AND t._seq >= r.rs AND t._offset >= r.b AND t._offset < r.e`, [`${bounds} r`])
    },
    foldedSql(topic, fold, bounds, scope, raw = true) {
      const f = folds.get(state(topic).stream.topic)
      if (!f) throw new WorkbenchError(ErrorCode.ConfigInvalid, `the Kafka tail keeps no folds of ${topic}`)
      return f.boundedSql(fold, bounds, scope, raw)
    },
    async alignFolds(topic, at) {
      const f = folds.get(state(topic).stream.topic)
      if (f) await exclusive(() => f.splitAt(conn, at))
    },
    foldedRanges(topic, from, to) {
      return folds.get(state(topic).stream.topic)?.covered(from, to) ?? { ranges: new Map(), records: 0 }
    },
    checkKept(topic, from, to) {
      checkKeptRange(topic, state(topic).kept, from, to)
    },
    count(topic, from, to) {
      const t = state(topic)
      let n = 0
      for (const [p, end] of to) n += t.offsets.get(p)?.countBetween(Number(from.get(p) ?? 0n), Number(end)) ?? 0
      return n
    },
    async readNow(topic) {
      const t = state(topic)
      if (rest.resting || pacing.holding || taking.count > 0) return undefined
      lastRead = performance.now()
      rest.noteDemand()
      // In one serial step, so a batch taken meanwhile cannot move the positions past rows not flushed.
      return exclusive(() => {
        t.flush()
        return new Map(t.next)
      })
    },
    reached(topic, to) {
      const t = state(topic)
      if (rest.resting) return false
      lastRead = performance.now()
      rest.noteDemand()
      for (const [p, o] of to) if ((t.next.get(p) ?? 0n) < o) return false
      return true
    },
    latestOf: (topic) => state(topic).latest,
    async waitFor(topic, to, timeoutMs) {
      const t = state(topic)
      lastRead = performance.now()
      rest.wakeUp()
      await waiters.wait(topic, to, timeoutMs, pacing.endPause)
      rest.noteDemand()
      await exclusive(() => t.flush())
    },
    trim(topic, to) {
      const t = state(topic)
      const drop = raiseKept(t, to)
      if (drop.length === 0) return Promise.resolve()
      const dropFolds = folds.get(topic)?.trim(to) ?? []
      waiters.wake()
      return exclusive(async () => {
        t.flush()
        const r = await conn.run(`DELETE FROM ${t.table} WHERE ${drop.join(' OR ')}`)
        stats.trimmed += Number(r.rowsChanged)
        for (const sql of dropFolds) await conn.run(sql)
      })
    },
    async close() {
      closing = true
      rest.stop()
      pacing.endPause()
      // A close must end: a story's last cell hung 300 s here once (cause not found; the broker
      // was busy with the sink's commits). The tables go either way; the consumer's session
      // expires at the broker.
      if (!(await settleWithin(consumer.disconnect(), closeTimeoutMs))) log.warn(`the Kafka tail's consumer did not disconnect within ${closeTimeoutMs} ms; closing without it`)
      const dropped = exclusive(async () => {
        for (const t of topics.values()) {
          t.close()
          await conn.run(`DROP TABLE IF EXISTS ${t.table}`)
          for (const sql of folds.get(t.stream.topic)?.dropSql() ?? []) await conn.run(sql)
        }
      })
      // Behind a batch that never finished, the tables go with the engine's database instead.
      if (await settleWithin(dropped, closeTimeoutMs)) await dropped
      else log.warn(`the Kafka tail's tables were not dropped within ${closeTimeoutMs} ms; the engine's database closes with them`)
    },
  }
}
