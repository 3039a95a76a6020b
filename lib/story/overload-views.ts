/**
 * The overload demo as the story shows it, live (03-resilience) or recorded (the story's section
 * 4): its levels, flows and invariants as charts and tables, the live line a second, and the
 * check that fails the notebook when an invariant did not hold. Pure.
 */
import { degradationLevels, type DegradationTransition } from '../degrade/index'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { OverloadDemoResult, OverloadSample, RecordedOverloadRun } from '../scenarios/index'
import { lineChart, type Chart, type DisplayBundle } from '../viz/index'

type Phases = RecordedOverloadRun['phases']
type Invariants = RecordedOverloadRun['invariants']

/** The phases as background bands on a seconds axis, each from where the previous one ended. */
export function phaseBands(phases: Phases): Array<{ readonly from: number; readonly to: number; readonly label: string }> {
  let at = 0
  return phases.map((p) => {
    const band = { from: at, to: at + p.seconds, label: p.name }
    at += p.seconds
    return band
  })
}

/** Each worker's degradation level over the run, NORMAL at the bottom. */
export function overloadLevelChart(run: Pick<RecordedOverloadRun, 'phases' | 'timeline'>, title: string): Chart {
  const rows = run.timeline.flatMap((s) => [
    { t: s.t, worker: 'ingest', level: s.ingestLevel },
    { t: s.t, worker: 'sink', level: s.sinkLevel },
  ])
  return lineChart(rows, { title, x: 't', xType: 'quantitative', y: 'level', yDomain: degradationLevels, series: 'worker', step: true, bands: phaseBands(run.phases), xTitle: 'seconds', yTitle: '', height: 180 })
}

/** Trades ingested, in the lake and deferred by the load shedder, cumulative. */
export function overloadFlowChart(run: Pick<RecordedOverloadRun, 'phases' | 'timeline'>, title: string): Chart {
  const rows = run.timeline.flatMap((s) => [
    { t: s.t, series: 'ingested', trades: s.ingested },
    { t: s.t, series: 'in the lake', trades: s.committed },
    { t: s.t, series: 'deferred (shed)', trades: s.shed },
  ])
  return lineChart(rows, { title, x: 't', xType: 'quantitative', y: 'trades', series: 'series', bands: phaseBands(run.phases), xTitle: 'seconds', yTitle: 'trades (cumulative)', height: 200 })
}

/** What the exchange offered against how far the lake fell behind. */
export function offeredAndBehindChart(run: Pick<RecordedOverloadRun, 'phases' | 'timeline'>): Chart {
  const rows = run.timeline.flatMap((s) => [
    { t: s.t, series: 'offered (events/s)', value: s.offeredEventsPerSecond },
    { t: s.t, series: 'behind the lake (records)', value: s.lagRecords },
  ])
  return lineChart(rows, { title: 'What the exchange offered, and how far the lake fell behind', x: 't', xType: 'quantitative', y: 'value', series: 'series', bands: phaseBands(run.phases), xTitle: 'seconds', yTitle: '', height: 200 })
}

/** Every level change of both workers, the ingest's first. */
export function transitionRows(transitions: RecordedOverloadRun['transitions']): Array<DegradationTransition & { readonly worker: string }> {
  return [...transitions.ingest.map((t) => ({ worker: 'ingest', ...t })), ...transitions.sink.map((t) => ({ worker: 'sink', ...t }))]
}

/** The invariants as a table: what is promised, whether it held, and the numbers behind it. */
export function invariantRows(run: Pick<OverloadDemoResult, 'invariants' | 'transitions'>): Array<{ readonly invariant: string; readonly holds: boolean; readonly detail: string }> {
  const inv = run.invariants
  const n = (x: number): string => x.toLocaleString('en')
  return [
    { invariant: 'every trade id once per symbol in the lake (deferred included)', holds: inv.duplicates === 0 && inv.missing === 0, detail: `${n(inv.trades)} trades of ${inv.symbols} symbols; duplicates ${inv.duplicates}, missing ids ${inv.missing}` },
    { invariant: 'everything Kafka acknowledged reached the lake', holds: inv.notInLake === 0, detail: `ingested but not in the lake: ${inv.notInLake}` },
    { invariant: 'tier 1 (the 20 busiest symbols) never deferred', holds: inv.tier1Shed === 0, detail: `tier-1 trades deferred: ${inv.tier1Shed}` },
    { invariant: 'levels came back down one at a time, in order', holds: inv.levelsInOrder, detail: run.transitions.sink.map((t) => t.to).join(' → ') || 'no transition' },
  ]
}

/** `every invariant held`, or what failed. */
export function invariantsCaption(inv: Invariants): string {
  return inv.ok ? 'every invariant held' : `FAILED: ${inv.problems.join('; ')}`
}

/** One line with the recorded run's invariants. */
export function invariantsLine(inv: Invariants): string {
  return `${inv.ok ? 'every invariant held' : 'INVARIANT FAILED'}: ${inv.trades.toLocaleString('en')} trades in the lake, duplicates ${inv.duplicates}, missing ids ${inv.missing}, tier-1 trades deferred ${inv.tier1Shed}, levels stepped down in order: ${inv.levelsInOrder}`
}

/** Throws CHECK_FAILED naming every problem when an invariant did not hold: the notebook run fails with it. */
export function assertInvariants(inv: Invariants): void {
  if (!inv.ok) throw new WorkbenchError(ErrorCode.CheckFailed, `overload demo invariants failed: ${inv.problems.join('; ')}`)
}

/** The live line of one second of the demo. */
export function overloadSampleLine(s: OverloadSample): string {
  const n = (x: number): string => x.toLocaleString('en')
  return `${s.t.toFixed(0).padStart(4)} s  ${s.phase.padEnd(8)}  offered ${n(Math.round(s.offeredEventsPerSecond))} ev/s  ingest ${s.ingestLevel}  sink ${s.sinkLevel}  ingested ${n(s.ingested)}  shed ${n(s.shed)}  in lake ${n(s.committed)}  behind ${n(s.lagRecords)}`
}

/** The live line as a display bundle (a live display's update). */
export function overloadSampleBundle(s: OverloadSample): DisplayBundle {
  const line = overloadSampleLine(s)
  return { 'text/plain': line, 'text/html': `<pre>${line}</pre>` }
}
