import type { Consumer } from 'kafkajs'
import { createDegradationManager, type processSignals } from '../degrade/degradation-manager'
import type { DegradationSignals } from '../degrade/degradation-policy'
import { createBackfillGate } from './backfill-gate'
import { batchScale, type SinkRun } from './sink-run'
import type { AnySinkStream } from './sink-stream'

/** The process's own signals (heap, event loop). */
export type ProcessSampler = ReturnType<typeof processSignals>

/**
 * Degradation: the sink's own signals; deferred topics are read only at NORMAL. With a policy,
 * starts the run's degradation manager (`run.manager`), which samples `proc` and the sink's lag,
 * backlog and commit latency every second; then pauses or resumes the backfill for the level.
 */
export function startDegradation(run: SinkRun, consumer: Pick<Consumer, 'pause' | 'resume'>, proc: ProcessSampler | undefined): void {
  const { options } = run
  const gateBackfill = backfillSwitch(run.streams, consumer)
  // The live topics come before the backfill: it yields while their unread records stand above
  // half of SOFT's backlog threshold (backfill-gate.ts).
  const softBacklog = options.degradation?.thresholds.backlogSeconds?.enter[0]
  const backfillGate = createBackfillGate(softBacklog === undefined ? Number.POSITIVE_INFINITY : softBacklog / 2, softBacklog === undefined ? Number.POSITIVE_INFINITY : softBacklog / 4)
  let liveBacklogSeconds: number | undefined
  if (options.degradation && proc) {
    const manager = createDegradationManager({
      worker: 'iceberg-sink',
      policy: options.degradation,
      logger: run.log,
      metrics: run.deps.metrics,
      sample: (): DegradationSignals => {
        const own = run.signals.sample(run.streams, Date.now(), batchScale(run))
        liveBacklogSeconds = own.backlogSeconds
        if (run.manager) gateBackfill(backfillGate.update(run.manager.actions().backfill, liveBacklogSeconds))
        return { ...proc.sample(), ...own }
      },
    })
    run.manager = manager
    manager.onChange((t) => {
      gateBackfill(backfillGate.update(manager.actions().backfill, liveBacklogSeconds))
      options.onLevel?.(t)
    })
  }
  gateBackfill(run.manager ? run.manager.actions().backfill : true)
}

/** Pauses or resumes the deferred topics, on a change only. */
function backfillSwitch(streams: readonly AnySinkStream[], consumer: Pick<Consumer, 'pause' | 'resume'>): (backfill: boolean) => void {
  const deferredTopics = streams.filter((x) => x.deferred).map((x) => ({ topic: x.topic }))
  let backfilling: boolean | undefined
  return (backfill) => {
    if (deferredTopics.length === 0 || backfill === backfilling) return
    backfilling = backfill
    if (backfill) consumer.resume(deferredTopics)
    else consumer.pause(deferredTopics)
  }
}
