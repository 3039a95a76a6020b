import type { DegradationSignals } from '../degrade/degradation-policy'
import { backlogSeconds, createRateTracker, progressSignals, type PartitionView } from '../degrade/sink-progress'
import { widenOpenBatch, type OpenBatch } from './sink-stream'
import { knownPartitions, streamViews, type StreamPosition } from './stream-progress'

/** A stream as the sink's signals see it. */
export interface SignalStream extends Omit<StreamPosition, 'batchScale'>, OpenBatch {
  readonly topic: string
  /** Deferred streams wait on purpose: their backlog is no lag. */
  readonly deferred: boolean
}

/** The sink's own degradation signals (the process's heap and event loop come from `processSignals`). */
export type SinkSignals = Pick<DegradationSignals, 'lagSeconds' | 'lagCadences' | 'backlogRecords' | 'backlogSeconds' | 'commitLatencyMs'>

export interface SinkSignalsOptions {
  /** The age trigger of a batch at NORMAL (ms): one commit cadence. */
  readonly maxAgeMs: number
  /** When the sink started (ms): lag and backlog count from here at most, downtime is not overload. */
  readonly sinceMs: number
  /** The window the input rate is measured over (default 10 s). */
  readonly rateWindowMs?: number
}

/**
 * What the sink's degradation manager samples of the sink itself: the lag and backlog of its hot
 * streams, and the slowest commit since the last sample. Pure: the caller gives the time and the
 * batch scale in force. Sampling widens each open batch of a hot stream to that scale: the one
 * state it changes, so that a batch widened while the level was up keeps its cadence.
 */
export interface SinkSignalSampler {
  /** A commit took `latencyMs`: the slowest since the last sample is that sample's commit latency, one contention sample. */
  noteCommit(latencyMs: number): void
  /** The signals at `nowMs` over the hot streams (deferred ones are left out); `backlogSeconds` is also what gates the backfill. */
  sample(streams: readonly SignalStream[], nowMs: number, scaleNow: number): SinkSignals
}

export function createSinkSignals(options: SinkSignalsOptions): SinkSignalSampler {
  // Lag and backlog as the ingest reads them from the published progress (D37): the lake lag in
  // cadences of the batch each record waits for (a batch widened on purpose is not late), and
  // the records not read yet in seconds of input. A restarted sink's backlog is
  // downtime being drained, not growing: it widens batches (SOFT) and sheds nothing.
  const inputRate = createRateTracker(options.rateWindowMs ?? 10_000)
  // The input is what arrives after a partition is first seen: its end at first sight is history.
  const firstEnd = new Map<string, bigint>()
  let commitLatencyMs: number | undefined
  return {
    noteCommit(latencyMs) {
      commitLatencyMs = Math.max(commitLatencyMs ?? 0, latencyMs)
    },
    sample(streams, now, scaleNow) {
      const views: PartitionView[] = []
      let ends = 0
      for (const x of streams) {
        if (x.deferred) continue
        widenOpenBatch(x, scaleNow)
        const partitions = knownPartitions(x)
        streamViews(x, now, options.maxAgeMs, scaleNow, options.sinceMs).forEach((v, i) => {
          views.push(v)
          const key = `${x.topic}:${partitions[i]}`
          if (!firstEnd.has(key)) firstEnd.set(key, v.end)
          ends += Number(v.end - firstEnd.get(key)!)
        })
      }
      inputRate.push(now, ends)
      const p = progressSignals(views, now, Number.POSITIVE_INFINITY)
      const seconds = backlogSeconds(p.backlogRecords, inputRate.perSecond())
      const latency = commitLatencyMs
      commitLatencyMs = undefined
      return { ...p, ...(seconds === undefined ? {} : { backlogSeconds: seconds }), ...(latency === undefined ? {} : { commitLatencyMs: latency }) }
    },
  }
}
