import { randomUUID } from 'node:crypto'
import * as os from 'node:os'
import { BIGINT, INTEGER, DuckDBDataChunk, type DuckDBAppender, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api'
import type { Consumer, Kafka } from 'kafkajs'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import { quoteIdent, stagedColumn, type StagedColumn } from '../iceberg/duckdb-sql'
import type { Schema } from '../iceberg/spec-types'
import type { Logger } from '../logger/index'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'

/**
 * The Kafka tail: records of the trade and quote topics that the lake may not hold yet, kept in
 * a DuckDB table per topic with their partition and offset, so a query can take exactly the
 * records at offsets [a snapshot's committed offsets, the high-water mark at query start).
 *
 * One consumer in a group of its own reads every partition continuously (read_committed, as the
 * ingestor writes transactions). It starts at the offsets the tables held when the engine
 * started; rows below the offsets of snapshots no query can still pin are trimmed. Records that
 * cannot be decoded are skipped and counted: the sink sends exactly those to the dead-letter
 * topic, so the lake does not hold them either.
 */
export interface KafkaTail {
  /** The DuckDB table of a topic's tail (staged columns, `_partition`, `_offset`). */
  tableOf(topic: string): string
  /**
   * SQL selecting the tail records of `topic` at offsets [from, to) per partition, with the
   * table's columns converted to their Iceberg types (as the lake files read).
   */
  selectSql(topic: string, from: SnapshotOffsets, to: SnapshotOffsets): string
  /** Records kept at offsets [from, to) per partition (what selectSql selects), counted without a query. */
  count(topic: string, from: SnapshotOffsets, to: SnapshotOffsets): number
  /** Waits until every partition of `topic` has been read up to `to` (exclusive). */
  waitFor(topic: string, to: SnapshotOffsets, timeoutMs: number): Promise<void>
  /** Drops rows below `to` (a snapshot's offsets that no query will pin an older one than). */
  trim(topic: string, to: SnapshotOffsets): Promise<void>
  /** Next offset to read per partition, and the first offset still kept. */
  positions(topic: string): { readonly next: ReadonlyMap<number, bigint>; readonly kept: ReadonlyMap<number, bigint> }
  readonly stats: { records: number; skipped: number; batches: number; trimmed: number }
  close(): Promise<void>
}

/** One topic the tail reads, and how its records become table rows. */
export interface TailStream<R> {
  readonly topic: string
  /** The Iceberg schema of the table the topic feeds (the tail has the same columns). */
  readonly schema: Schema
  readonly decode: (value: Buffer) => Promise<R>
  /** Values of one record in schema field order (TableDesign.row). */
  readonly row: (record: R) => readonly unknown[]
  /** Where to start: the offsets the table holds (partitions not named start at the earliest offset). */
  readonly start: SnapshotOffsets
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
}

interface TopicState {
  readonly stream: TailStream<unknown>
  readonly table: string
  readonly columns: StagedColumn[]
  readonly types: DuckDBType[]
  readonly appender: DuckDBAppender
  readonly next: Map<number, bigint>
  readonly kept: Map<number, bigint>
  /** Offsets of the rows kept, per partition, ascending (trimmed from the front). */
  readonly offsets: Map<number, OffsetList>
}

/** A growable ascending list of offsets with a moving start (offsets stay below 2^53). */
class OffsetList {
  private data = new Float64Array(1024)
  private start = 0
  private end = 0
  push(offset: number): void {
    if (this.end === this.data.length) {
      const live = this.end - this.start
      const next = new Float64Array(Math.max(1024, live * 2))
      next.set(this.data.subarray(this.start, this.end))
      this.data = next
      this.start = 0
      this.end = live
    }
    this.data[this.end++] = offset
  }
  /** Index of the first offset ≥ o. */
  private lowerBound(o: number): number {
    let lo = this.start
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.data[mid]! < o) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  countBetween(from: number, to: number): number {
    return Math.max(0, this.lowerBound(to) - this.lowerBound(from))
  }
  dropBelow(o: number): void {
    this.start = this.lowerBound(o)
  }
}

interface Waiter {
  readonly topic: string
  readonly to: SnapshotOffsets
  readonly resolve: () => void
}

/** Starts the tail consumer; resolves once it has joined its group and positioned itself. */
export async function createKafkaTail(options: KafkaTailOptions): Promise<KafkaTail> {
  const log = options.logger.child('tail')
  const conn = options.connection
  const topics = new Map<string, TopicState>()
  const stats = { records: 0, skipped: 0, batches: 0, trimmed: 0 }
  const admin = options.kafka.admin()
  await admin.connect()
  try {
    for (const [i, stream] of options.streams.entries()) {
      const table = `k2_tail_${i}_${stream.topic.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)}`
      const columns = stream.schema.fields.map(stagedColumn)
      const types: DuckDBType[] = [INTEGER, BIGINT, ...columns.map((c) => c.stageType)]
      await conn.run(`CREATE OR REPLACE TABLE ${table} (_partition INTEGER, _offset BIGINT, ${columns.map((c, k) => `c${k} ${c.stageType.toString()}`).join(', ')})`)
      const next = new Map<number, bigint>()
      for (const p of await admin.fetchTopicOffsets(stream.topic)) {
        const low = BigInt(p.low)
        const start = stream.start.get(p.partition) ?? 0n
        next.set(p.partition, start > low ? start : low)
      }
      topics.set(stream.topic, { stream, table, columns, types, appender: await conn.createAppender(table), next, kept: new Map(next), offsets: new Map() })
    }
  } finally {
    await admin.disconnect()
  }

  const waiters = new Set<Waiter>()
  const reached = (topic: string, to: SnapshotOffsets): boolean => {
    const t = topics.get(topic)!
    for (const [p, o] of to) if ((t.next.get(p) ?? 0n) < o) return false
    return true
  }
  const wake = (): void => {
    for (const w of waiters) {
      if (reached(w.topic, w.to)) {
        waiters.delete(w)
        w.resolve()
      }
    }
  }
  const advance = (t: TopicState, partition: number, lastOffset: string): void => {
    const after = BigInt(lastOffset) + 1n
    if (after > (t.next.get(partition) ?? 0n)) t.next.set(partition, after)
  }

  // Appends and trims never interleave on the tail's connection.
  let chain: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn)
    chain = run.catch(() => undefined)
    return run
  }

  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId ?? `k2-query-tail-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 250,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  })
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
    advance(t, e.payload.partition, e.payload.lastOffset)
    wake()
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [...topics.keys()], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const t = topics.get(batch.topic)
      if (!t) return
      const p = batch.partition
      const from = t.next.get(p) ?? 0n
      const rows: Array<{ offset: bigint; values: readonly unknown[] }> = []
      for (const message of batch.messages) {
        const offset = BigInt(message.offset)
        if (offset < from || message.value === null) {
          if (message.value === null) stats.skipped++
          continue
        }
        try {
          rows.push({ offset, values: t.stream.row(await t.stream.decode(message.value)) })
        } catch (err) {
          stats.skipped++
          if (stats.skipped === 1) log.warn('a tail record could not be decoded; it is skipped (the sink dead-letters it)', { topic: batch.topic, partition: p, offset: message.offset, error: errorMessage(err) })
        }
      }
      await exclusive(async () => {
        append(t, p, rows)
        t.appender.flushSync()
        let list = t.offsets.get(p)
        if (!list) t.offsets.set(p, (list = new OffsetList()))
        for (const r of rows) list.push(Number(r.offset))
      })
      stats.records += rows.length
      stats.batches++
      advance(t, p, batch.lastOffset())
      wake()
    },
  })
  const joinTimeout = setTimeout(() => joined(), 30_000)
  await firstJoin
  clearTimeout(joinTimeout)

  function append(t: TopicState, partition: number, rows: ReadonlyArray<{ offset: bigint; values: readonly unknown[] }>): void {
    const width = t.types.length
    for (let start = 0; start < rows.length; start += 2048) {
      const end = Math.min(rows.length, start + 2048)
      const cols: unknown[][] = []
      for (let k = 0; k < width; k++) cols.push(new Array(end - start))
      for (let r = start; r < end; r++) {
        const { offset, values } = rows[r]!
        const j = r - start
        cols[0]![j] = partition
        cols[1]![j] = offset
        for (let k = 0; k < t.columns.length; k++) cols[k + 2]![j] = t.columns[k]!.stage(values[k])
      }
      const chunk = DuckDBDataChunk.create(t.types, end - start)
      chunk.setColumns(cols as never)
      t.appender.appendDataChunk(chunk)
    }
  }

  const state = (topic: string): TopicState => {
    const t = topics.get(topic)
    if (!t) throw new WorkbenchError(ErrorCode.ConfigInvalid, `the Kafka tail does not read topic ${topic} (it reads ${[...topics.keys()].join(', ')})`)
    return t
  }

  return {
    stats,
    tableOf: (topic) => state(topic).table,
    positions(topic) {
      const t = state(topic)
      return { next: new Map(t.next), kept: new Map(t.kept) }
    },
    selectSql(topic, from, to) {
      const t = state(topic)
      const ranges: string[] = []
      for (const [p, end] of to) {
        const begin = from.get(p) ?? 0n
        if ((t.kept.get(p) ?? 0n) > begin) {
          throw new WorkbenchError(ErrorCode.Conflict, `the Kafka tail of ${topic} partition ${p} keeps offsets from ${t.kept.get(p)}, but the query needs them from ${begin}: the snapshot it pinned is older than the tail (retry)`, true)
        }
        if (end > begin) ranges.push(`(_partition = ${p} AND _offset >= ${begin} AND _offset < ${end})`)
      }
      const cols = t.columns.map((c, k) => `${c.convert(`c${k}`)} AS ${quoteIdent(c.field.name)}`).join(', ')
      return `SELECT ${cols} FROM ${t.table} WHERE ${ranges.length ? ranges.join(' OR ') : 'false'}`
    },
    count(topic, from, to) {
      const t = state(topic)
      let n = 0
      for (const [p, end] of to) n += t.offsets.get(p)?.countBetween(Number(from.get(p) ?? 0n), Number(end)) ?? 0
      return n
    },
    waitFor(topic, to, timeoutMs) {
      state(topic)
      if (reached(topic, to)) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          const t = topics.get(topic)!
          const behind = [...to].filter(([p, o]) => (t.next.get(p) ?? 0n) < o).map(([p, o]) => `partition ${p} at ${t.next.get(p) ?? 0n} of ${o}`)
          reject(new WorkbenchError(ErrorCode.Timeout, `the Kafka tail of ${topic} did not reach the high-water mark within ${timeoutMs} ms (${behind.join(', ')}): is the broker up?`, true))
        }, timeoutMs)
        const waiter: Waiter = {
          topic,
          to,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        }
        waiters.add(waiter)
      })
    },
    trim(topic, to) {
      const t = state(topic)
      const drop: string[] = []
      for (const [p, o] of to) {
        if (o > (t.kept.get(p) ?? 0n)) {
          t.kept.set(p, o)
          t.offsets.get(p)?.dropBelow(Number(o))
          drop.push(`(_partition = ${p} AND _offset < ${o})`)
        }
      }
      if (drop.length === 0) return Promise.resolve()
      return exclusive(async () => {
        const r = await conn.run(`DELETE FROM ${t.table} WHERE ${drop.join(' OR ')}`)
        stats.trimmed += Number(r.rowsChanged)
      })
    },
    async close() {
      await consumer.disconnect().catch(() => undefined)
      await exclusive(async () => {
        for (const t of topics.values()) {
          try {
            t.appender.closeSync()
          } catch {
            // closed already
          }
          await conn.run(`DROP TABLE IF EXISTS ${t.table}`)
        }
      })
    },
  }
}
