/**
 * A soak run on disk: `soak-<label>.json` (the summary, the detail, every sample, request and
 * kernel cell) and `soak-<label>.md` with timeline charts — vega-lite specs from lib/viz drawn to
 * SVG in this process (D30), written beside the markdown, which embeds them.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { lineChart, renderSvg, type Chart } from '../../lib/internal'
import type { KneeResult, SoakRunResult } from './soak-run'
import { levelName, levelNames, type SoakSample } from './soak-sample'

/** Contiguous stretches of one phase (and rate), for the charts' background bands. */
export function phaseBands(samples: readonly SoakSample[]): Array<{ from: number; to: number; label: string }> {
  const bands: Array<{ from: number; to: number; label: string }> = []
  for (const s of samples) {
    const label = s.phase === 'warmup' || s.phase === 'idle' ? s.phase : `${s.phase} ${s.rate}`
    const last = bands.at(-1)
    if (last && last.label === label) last.to = s.t
    else bands.push({ from: last ? last.to : s.t, to: s.t, label })
  }
  return bands
}

/** The timeline charts of a run. */
export function timelineCharts(label: string, samples: readonly SoakSample[]): Array<{ name: string; chart: Chart }> {
  const bands = phaseBands(samples)
  const common = { x: 't', xType: 'quantitative' as const, xTitle: 'seconds since the run started', bands, height: 200 }
  const levels = samples.flatMap((s) => (['ingest', 'sink'] as const).flatMap((w) => (s.level[w] === undefined ? [] : [{ t: s.t, worker: w, level: levelName(s.level[w]) }])))
  const lag = samples.flatMap((s) => (s.lakeLagSeconds === undefined ? [] : [{ t: s.t, seconds: s.lakeLagSeconds }]))
  const perSecond: Array<{ t: number; series: string; perSecond: number }> = []
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1]!, samples[i]!]
    const dt = b.t - a.t
    if (dt <= 0) continue
    for (const [series, pick] of [['produced', (s: SoakSample) => s.counters.records], ['shed', (s: SoakSample) => s.counters.shed], ['backfilled', (s: SoakSample) => s.counters.backfilled]] as const) {
      const [x, y] = [pick(a), pick(b)]
      if (x !== undefined && y !== undefined && y >= x) perSecond.push({ t: b.t, series, perSecond: Math.round((y - x) / dt) })
    }
  }
  const cpu = samples.flatMap((s) => Object.entries(s.processes).flatMap(([process, p]) => (p.cpu === undefined ? [] : [{ t: s.t, process, core: p.cpu }])))
  const rss = samples.flatMap((s) => Object.entries(s.processes).map(([process, p]) => ({ t: s.t, process, MiB: p.rssMiB })))
  const api = samples.flatMap((s) => [
    ...(s.api.p50Ms === undefined ? [] : [{ t: s.t, quantile: 'API p50', ms: s.api.p50Ms }]),
    ...(s.api.p99Ms === undefined ? [] : [{ t: s.t, quantile: 'API p99', ms: s.api.p99Ms }]),
    ...(s.kernel.p50Ms === undefined ? [] : [{ t: s.t, quantile: 'kernel cell p50', ms: s.kernel.p50Ms }]),
  ])
  const signals = samples.flatMap((s) => Object.entries(s.signals).flatMap(([worker, sig]) => Object.entries(sig).map(([signal, value]) => ({ t: s.t, signal: `${worker} ${signal}`, value }))))
  const charts = [
    { name: 'levels', chart: lineChart(levels, { ...common, title: `${label}: degradation level`, y: 'level', yDomain: levelNames, series: 'worker', step: true, yTitle: '', height: 160 }) },
    { name: 'lag', chart: lineChart(lag, { ...common, title: `${label}: lake lag (oldest record not yet committed)`, y: 'seconds', yTitle: 'seconds' }) },
    { name: 'records', chart: lineChart(perSecond, { ...common, title: `${label}: records per second produced, shed and backfilled`, y: 'perSecond', series: 'series', yTitle: 'records/s' }) },
    { name: 'cpu', chart: lineChart(cpu, { ...common, title: `${label}: CPU per process (share of one core)`, y: 'core', series: 'process', yTitle: 'cores', height: 260 }) },
    { name: 'rss', chart: lineChart(rss, { ...common, title: `${label}: resident memory per process`, y: 'MiB', series: 'process', yTitle: 'MiB', height: 260 }) },
    { name: 'latency', chart: lineChart(api, { ...common, title: `${label}: query latency (per 5 s interval)`, y: 'ms', series: 'quantile', yTitle: 'ms', logY: true }) },
  ]
  if (signals.length > 0) charts.push({ name: 'signals', chart: lineChart(signals, { ...common, title: `${label}: degradation signals`, y: 'value', series: 'signal', yTitle: 'value' }) })
  return charts
}

/** Writes each chart's SVG as `<base>-<name>.svg` in `dir`; the markdown lines that embed them. */
async function writeCharts(dir: string, base: string, charts: Array<{ name: string; chart: Chart }>): Promise<string[]> {
  const lines: string[] = []
  for (const { name, chart } of charts) {
    const file = `${base}-${name}.svg`
    fs.writeFileSync(path.join(dir, file), await renderSvg(chart))
    lines.push(`![${chart.title}](${file})`, '')
  }
  return lines
}

const fmt = (v: unknown): string => (v === null || v === undefined ? 'n/a' : typeof v === 'object' ? Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k} ${fmt(x)}`).join(', ') : typeof v === 'number' ? v.toLocaleString('en', { maximumFractionDigits: 4 }) : String(v))

/** The per-process table of a run: mean and peak core share, peak RSS. */
function processTable(processes: SoakRunResult['detail']['processes']): string[] {
  return [
    '| process | mean core share | peak core share | peak RSS MiB |',
    '|---|---:|---:|---:|',
    ...Object.entries(processes)
      .sort((a, b) => (b[1].meanCore ?? 0) - (a[1].meanCore ?? 0))
      .map(([n, p]) => `| ${n} | ${fmt(p.meanCore)} | ${fmt(p.peakCore)} | ${fmt(p.peakRssMiB)} |`),
  ]
}

/** Writes soak-<label>.json, .md and the charts; returns the JSON file's path. */
export async function writeSoakReport(dir: string, run: SoakRunResult, context: { command: string; machine: Record<string, unknown>; smoke: boolean }): Promise<string> {
  fs.mkdirSync(dir, { recursive: true })
  const base = `soak-${run.label}`
  const json = path.join(dir, `${base}.json`)
  fs.writeFileSync(json, `${JSON.stringify({ ...context, ...run, date: run.startedAt }, null, 1)}\n`)
  const s = run.summary
  const kernelBySection = new Map<string, number[]>()
  for (const c of run.kernelCells) if (c.phase === 'loop' && c.ok) kernelBySection.set(c.section, [...(kernelBySection.get(c.section) ?? []), c.ms])
  const md = [
    `# Soak: ${run.label}${context.smoke ? ' (smoke run: not a benchmark figure)' : ''}`,
    '',
    `Command: \`${context.command}\`, started ${run.startedAt}, ${run.seconds} s in all. Machine: ${fmt(context.machine.cpu)}, ${fmt(context.machine.cores)} cores.`,
    '',
    '## Summary',
    '',
    '| figure | value |',
    '|---|---|',
    ...Object.entries(s).map(([k, v]) => `| ${k} | ${fmt(v)} |`),
    `| feed pauses counted from | ${run.detail.feedPausesSource} |`,
    `| records/s: tail reading / tail resting / measured | ${fmt(run.detail.recordsPerSecond.reading)} / ${fmt(run.detail.recordsPerSecond.idle)} / ${fmt(run.detail.recordsPerSecond.measured)} |`,
    `| API share of a core while its tail read with no request (tailMicrosPerRecord × records/s) | ${fmt(run.detail.apiReadingCoreShare)} |`,
    `| first API query after the warm-up (wakes the tail, waits for its catch-up), ms | ${fmt(run.detail.wakeQueryMs)} |`,
    `| replay exchange behind its schedule, most in the measured window (s) | ${fmt(run.detail.feedLagMaxSeconds)} |`,
    ...(run.detail.input ? [`| the market's stress regime (2.5× the rate for minutes; D78) | ${run.detail.input.stressRegime === false ? 'off: a calm market, at the rate named' : 'on'} |`, `| input: peak over 30 s / the knee's (records/s) | ${fmt(run.detail.input.peakRecordsPerSecond)} / ${fmt(run.detail.input.kneeRecordsPerSecond)} |`, `| input above the knee's rate, seconds of the window (market stress regime, bursts) | ${fmt(run.detail.input.secondsAboveKnee)} |`] : []),
    ...(run.plan.overload ? [`| tier-3 shed after overload start (s) | ${fmt(run.detail.tier3ShedAfterSeconds)} |`, `| shed by tier | ${fmt(run.detail.shedByTier)} |`, `| backfilled | ${fmt(run.detail.backfilled)} |`] : []),
    '',
    ...(run.problems.length > 0 ? ['## Problems', '', ...run.problems.map((p) => `- ${p}`), ''] : []),
    '## Processes (measured window)',
    '',
    ...processTable(run.detail.processes),
    '',
    '## Queries (measured window)',
    '',
    '| source | requests | errors | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(run.detail.api).map(([k, a]) => `| API: ${k} | ${a.requests} | ${a.errors} | ${fmt(a.p50Ms)} | ${fmt(a.p99Ms)} | ${fmt(a.maxMs)} |`),
    ...[...kernelBySection].map(([section, ms]) => `| kernel: ${section} | ${ms.length} | | ${fmt(median(ms))} | | ${fmt(Math.max(...ms))} |`),
    '',
    `Kernel: ${run.detail.kernel.cells} cells run, ${run.detail.kernel.errors} failed (the story's cells in a loop, ${run.kernelPassSeconds ? `a pass starting at most every ${run.kernelPassSeconds} s` : 'passes back to back'}; its overload section left out).`,
    '',
    '## Timeline',
    '',
    ...(await writeCharts(dir, base, timelineCharts(run.label, run.samples))),
  ].join('\n')
  fs.writeFileSync(path.join(dir, `${base}.md`), md)
  return json
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Writes soak-knee.json, .md and the charts; returns the JSON file's path. */
export async function writeKneeReport(dir: string, run: KneeResult, context: { command: string; machine: Record<string, unknown>; smoke: boolean }): Promise<string> {
  fs.mkdirSync(dir, { recursive: true })
  const json = path.join(dir, 'soak-knee.json')
  fs.writeFileSync(json, `${JSON.stringify({ ...context, ...run, date: run.startedAt }, null, 1)}\n`)
  const names = [...new Set(run.steps.flatMap((s) => Object.keys(s.cpu)))].sort()
  const md = [
    `# Soak: the knee${context.smoke ? ' (smoke run: not a benchmark figure)' : ''}`,
    '',
    `Command: \`${context.command}\`, started ${run.startedAt}, ${run.seconds} s in all, ${run.stepMinutes} min a step, with every service, every worker, the API load and the story's kernel running${run.kernelPassSeconds ? ` (a pass over the story at most every ${run.kernelPassSeconds} s)` : ''}.`,
    '',
    `Knee: rate ${fmt(run.knee.rate)} (${fmt(run.knee.recordsPerSecond)} records/s). Bottleneck: ${run.knee.saturated ? `${run.knee.bottleneck}: every process together, not one of them, used up the machine where the stack stopped keeping up` : `${fmt(run.knee.bottleneck)} (${fmt(run.knee.bottleneckCoreShare)} of a core where the stack stopped keeping up)`}.`,
    '',
    `| rate | kept up | why | records/s | ${names.join(' | ')} |`,
    `|---:|---|---|---:|${names.map(() => '---:').join('|')}|`,
    ...run.steps.map((s) => `| ${s.rate} | ${s.passed ? 'yes' : 'no'} | ${s.reason} | ${fmt(s.recordsPerSecond)} | ${names.map((n) => fmt(s.cpu[n])).join(' | ')} |`),
    '',
    ...(run.problems.length > 0 ? ['## Problems', '', ...run.problems.map((p) => `- ${p}`), ''] : []),
    '## Timeline',
    '',
    ...(await writeCharts(dir, 'soak-knee', timelineCharts('knee', run.samples))),
  ].join('\n')
  fs.writeFileSync(path.join(dir, 'soak-knee.md'), md)
  return json
}
