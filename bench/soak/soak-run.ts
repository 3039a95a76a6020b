/**
 * One soak run on the soak's stack, phase by phase, with the sampler running throughout:
 * - warm-up: every worker started at the run's base rate, until the sink has committed once;
 * - idle: no kernel; one API request wakes the API's Kafka tail, which then reads with no further
 *   request until it rests (`K2_QUERY_TAIL_IDLE_MS`): the tail's cost per record while it reads;
 *   then, once it rests, `idleSeconds` more: the idle API's cost;
 * - load: the API load loop and the notebook kernel running, for `minutes` at the rate; or, for
 *   an overload run, overload at the overload rate for `minutes`, then a drain at the base rate
 *   until both workers are back at NORMAL with everything backfilled (bounded);
 * then everything it started in the run (loop, kernel, workers) is stopped, whatever happened.
 * The knee search (`runKneeSearch`) holds rates step by step in one such run.
 */
import * as os from 'node:os'
import * as path from 'node:path'
import { sleep, type WorkbenchConfig } from '../../lib/internal'
import { requestOnce, startApiLoad, type ApiLoad } from './api-load'
import { judgeKneeStep, kneeOf, nextKneeRate, type KneeSearchOptions, type KneeStep } from './knee-search'
import { startKernelLoop, type KernelCellRecord, type KernelLoop } from './kernel-loop'
import { increase, meanCoreShare, within, type SoakPhase, type SoakSample } from './soak-sample'
import { startSampler, type Sampler } from './soak-sampler'
import type { SoakStack } from './soak-stack'
import { summarizeSoak, type ApiRequestRecord, type SoakDetail, type SoakSummary, type SoakWindows } from './soak-summary'

/** What every run shares. */
export interface SoakContext {
  readonly config: WorkbenchConfig
  readonly stack: SoakStack
  /** Fires on the bench's deadline or a signal: every wait ends, then teardown runs. */
  readonly signal: AbortSignal
  readonly log: (line: string) => void
  /** Scratch files (the kernel's cells and stop file). */
  readonly workDir: string
  readonly notebook: string
  readonly apiRequestsPerSecond: number
  readonly sampleMs: number
  readonly idleSeconds: number
  /** Seconds the API's tail reads before its cost is measured (0: from the first request). */
  readonly tailWarmSeconds: number
  /** Run the notebook kernel (on unless --no-kernel). */
  readonly kernel: boolean
  /** Least seconds between the starts of two passes of the kernel over the story (D54). */
  readonly kernelPassSeconds: number
  /** The lake lag a run may show and still count as keeping up: commit interval + 10 s. */
  readonly lagBoundSeconds: number
  /** The sink's configured commit interval (s). */
  readonly commitIntervalSeconds: number
  /** Whether the replay market's stress regime is on (K2_REPLAY_STRESS; off unless `--stress`, D78). */
  readonly stressRegime: boolean
}

export interface SoakPlan {
  readonly label: string
  readonly rate: number
  readonly minutes: number
  readonly kneeRate?: number
  /** Records/s at the knee, when known (input above it is reported as overload). */
  readonly kneeRecordsPerSecond?: number
  /** An overload run: `rate` is the overload; the base rate warms up and drains. */
  readonly overload?: { readonly baseRate: number; readonly drainMaxMinutes: number }
}

/** Everything one run measured. */
export interface SoakRunResult {
  readonly label: string
  readonly plan: SoakPlan
  readonly startedAt: string
  readonly seconds: number
  readonly windows: SoakWindows
  readonly summary: SoakSummary
  readonly detail: SoakDetail
  readonly samples: readonly SoakSample[]
  readonly requests: readonly ApiRequestRecord[]
  readonly kernelCells: readonly KernelCellRecord[]
  /** Least seconds between the starts of two kernel passes over the story (absent: back to back). */
  readonly kernelPassSeconds?: number
  /** What did not go as planned (the drain's bound reached, the kernel failing to start…). */
  readonly problems: readonly string[]
}

/** The pieces a run starts, so teardown can stop exactly those. */
class RunParts {
  api?: ApiLoad
  kernel?: KernelLoop
  sampler?: Sampler
  readonly problems: string[] = []
  /** The request that woke the API's tail for the idle phase. */
  wakeQuery?: { ms: number; ok: boolean }
  readonly t0 = Date.now()
  readonly clock = (): number => (Date.now() - this.t0) / 1000
}

/**
 * Starts the API load loop and the kernel, and waits (bounded: 5 minutes) until the kernel has
 * run the story's setup cell — tslab compiles the library first, a minute or more on a busy
 * machine — so the measured window that follows has both running.
 */
async function startLoad(ctx: SoakContext, parts: RunParts, phase: SoakPhase, rate: number): Promise<void> {
  parts.sampler!.setPhase(phase, rate)
  parts.api = startApiLoad({ baseUrl: `http://${ctx.config.host}:${ctx.config.api.port}`, requestsPerSecond: ctx.apiRequestsPerSecond, symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'LTCBTC'], timeoutMs: 10_000, clock: parts.clock })
  if (!ctx.kernel) return
  try {
    parts.kernel = await startKernelLoop(ctx.config, { notebook: ctx.notebook, clock: parts.clock, workDir: ctx.workDir, env: { K2_NOTEBOOK_MODE: 'quick' }, passSeconds: ctx.kernelPassSeconds, log: ctx.log })
    ctx.log(`kernel: pid ${parts.kernel.kernelPid()}, looping ${parts.kernel.cells.loop.length} cells of the story, a pass at most every ${ctx.kernelPassSeconds} s (left out: ${parts.kernel.cells.skipped.join('; ')})`)
    const until = Date.now() + 300_000
    while (!parts.kernel.records.some((r) => r.phase === 'setup') && Date.now() < until) await sleep(1000, ctx.signal)
    if (!parts.kernel.records.some((r) => r.phase === 'setup')) parts.problems.push('the kernel had not finished the setup cell 5 minutes after it started')
  } catch (err) {
    if (ctx.signal.aborted) throw err
    parts.problems.push(`the notebook kernel did not start: ${(err as Error).message}`)
    ctx.log(parts.problems.at(-1)!)
  }
}

async function teardown(ctx: SoakContext, parts: RunParts): Promise<void> {
  await parts.api?.stop()
  await parts.kernel?.stop(150_000).catch((err: unknown) => ctx.log(`kernel: stop failed: ${(err as Error).message}`))
  await parts.sampler?.stop()
  await ctx.stack.stopWorkers()
}

/** Waits until `ready(latest sample)` or `maxSeconds`; false when the bound was reached. */
async function waitFor(ctx: SoakContext, parts: RunParts, maxSeconds: number, ready: (s: SoakSample, all: readonly SoakSample[]) => boolean): Promise<boolean> {
  const until = Date.now() + maxSeconds * 1000
  while (Date.now() < until) {
    await sleep(ctx.sampleMs, ctx.signal)
    const s = parts.sampler!.samples.at(-1)
    if (s && ready(s, parts.sampler!.samples)) return true
  }
  return false
}

/** Starts the workers at `rate` and waits for the sink's first commit (bounded: 4 minutes). */
async function warmUp(ctx: SoakContext, parts: RunParts, rate: number): Promise<void> {
  parts.sampler = startSampler({ config: ctx.config, stack: ctx.stack, intervalMs: ctx.sampleMs, clock: parts.clock, api: () => parts.api, kernel: () => parts.kernel, log: ctx.log })
  parts.sampler.setPhase('warmup', rate)
  await ctx.stack.startWorkers(rate)
  const committed = await waitFor(ctx, parts, 240, (s) => (s.counters.tradeCommits ?? 0) > 0 && (s.counters.records ?? 0) > 0)
  if (!committed) parts.problems.push('the sink made no commit within 4 minutes of the workers starting')
}

/** Holds the current phase for `seconds`; returns the window it covered. */
async function hold(ctx: SoakContext, parts: RunParts, phase: SoakPhase, rate: number, seconds: number): Promise<{ from: number; to: number }> {
  parts.sampler!.setPhase(phase, rate)
  const from = (await parts.sampler!.sampleNow()).t
  await sleep(seconds * 1000, ctx.signal)
  const to = (await parts.sampler!.sampleNow()).t
  return { from, to }
}

/**
 * The idle phase: one request wakes the API's tail (it may have rested through the warm-up) and
 * waits while it catches up; the tail then reads with no request until it rests, and the API
 * idles on. Without a rest (K2_QUERY_TAIL_IDLE_MS=0) the whole phase is the reading window.
 */
async function idlePhase(ctx: SoakContext, parts: RunParts, rate: number): Promise<{ reading: { from: number; to: number }; idle?: { from: number; to: number } }> {
  parts.sampler!.setPhase('idle', rate)
  const woke = await requestOnce(`http://${ctx.config.host}:${ctx.config.api.port}`, 'BTCUSDT', 60_000)
  parts.wakeQuery = woke
  ctx.log(`first API query after the warm-up: ${woke.ms} ms${woke.ok ? '' : ' (failed)'}`)
  const restSeconds = ctx.config.query.tailIdleMs / 1000
  if (restSeconds <= 0) return { reading: await hold(ctx, parts, 'idle', rate, ctx.idleSeconds) }
  // The tail's cost is taken in its steady state: its first seconds of reading (code still
  // compiling, first appends) cost ~1.5× the rest (D75). A second request after tailWarmSeconds
  // restarts the rest timer; the window starts after it.
  if (ctx.tailWarmSeconds > 0 && restSeconds > ctx.tailWarmSeconds + 20) {
    await hold(ctx, parts, 'idle', rate, ctx.tailWarmSeconds)
    await requestOnce(`http://${ctx.config.host}:${ctx.config.api.port}`, 'BTCUSDT', 60_000)
  }
  // Stop 10 s short of the rest, and start measuring the rest 20 s after it (its check runs every 5 s).
  const reading = await hold(ctx, parts, 'idle', rate, Math.max(10, restSeconds - 10))
  await sleep(30_000, ctx.signal)
  const idle = await hold(ctx, parts, 'idle', rate, ctx.idleSeconds)
  return { reading, idle }
}

const settled = (s: SoakSample, all: readonly SoakSample[], from: number, lagBound: number): boolean => {
  const since = all.filter((x) => x.t >= from)
  const shed = increase(since.map((x) => x.counters.shed)) ?? 0
  const backfilled = increase(since.map((x) => x.counters.backfilled)) ?? 0
  return s.level.ingest === 0 && s.level.sink === 0 && (s.lakeLagSeconds ?? Infinity) <= lagBound && backfilled >= shed
}

/** One soak run (or overload run) as planned. */
export async function runSoak(ctx: SoakContext, plan: SoakPlan): Promise<SoakRunResult> {
  const parts = new RunParts()
  const startedAt = new Date().toISOString()
  const base = plan.overload?.baseRate ?? plan.rate
  let windows: SoakWindows | undefined
  try {
    ctx.log(`── soak ${plan.label}: ${plan.overload ? `overload at rate ${plan.rate} for ${plan.minutes} min after a warm-up at ${base}` : `rate ${plan.rate} for ${plan.minutes} min`}`)
    await warmUp(ctx, parts, base)
    const { reading, idle } = await idlePhase(ctx, parts, base)
    if (!plan.overload) {
      await startLoad(ctx, parts, 'load', plan.rate)
      const load = await hold(ctx, parts, 'load', plan.rate, plan.minutes * 60)
      windows = { reading, idle, measured: load }
    } else {
      await startLoad(ctx, parts, 'load', base)
      parts.sampler!.setPhase('overload', plan.rate)
      await ctx.stack.setRate(plan.rate)
      const overload = await hold(ctx, parts, 'overload', plan.rate, plan.minutes * 60)
      parts.sampler!.setPhase('drain', base)
      await ctx.stack.setRate(base)
      const drained = await waitFor(ctx, parts, plan.overload.drainMaxMinutes * 60, (s, all) => settled(s, all, overload.from, ctx.lagBoundSeconds))
      if (!drained) parts.problems.push(`the drain did not bring both workers to NORMAL with everything backfilled within ${plan.overload.drainMaxMinutes} min`)
      const end = (await parts.sampler!.sampleNow()).t
      windows = { reading, idle, measured: { from: overload.from, to: end }, overloadFrom: overload.from }
    }
  } finally {
    await teardown(ctx, parts)
  }
  const samples = parts.sampler!.samples
  const requests = parts.api?.records ?? []
  const { summary, detail } = summarizeSoak({ samples, windows: windows!, rate: plan.rate, kneeRate: plan.kneeRate, kneeRecordsPerSecond: plan.kneeRecordsPerSecond, minutes: plan.minutes, overload: plan.overload !== undefined, requests, wakeQueryMs: parts.wakeQuery?.ok ? parts.wakeQuery.ms : undefined, stressRegime: ctx.stressRegime })
  return { label: plan.label, plan, startedAt, seconds: Math.round(parts.clock()), windows: windows!, summary, detail, samples, requests, kernelCells: parts.kernel?.records ?? [], kernelPassSeconds: ctx.kernelPassSeconds, problems: parts.problems }
}

export interface KneeResult {
  readonly label: string
  readonly startedAt: string
  readonly seconds: number
  readonly stepMinutes: number
  readonly steps: readonly KneeStep[]
  readonly knee: ReturnType<typeof kneeOf>
  readonly samples: readonly SoakSample[]
  readonly requests: readonly ApiRequestRecord[]
  readonly kernelCells: readonly KernelCellRecord[]
  /** Least seconds between the starts of two kernel passes over the story (absent: back to back). */
  readonly kernelPassSeconds?: number
  readonly problems: readonly string[]
}

/** Searches the knee with everything running: each step holds a rate for `stepMinutes`, a failed step is followed by a settle at `settleRate`. */
export async function runKneeSearch(ctx: SoakContext, search: KneeSearchOptions & { readonly stepMinutes: number; readonly settleRate: number; readonly settleMaxMinutes: number }): Promise<KneeResult> {
  const parts = new RunParts()
  const startedAt = new Date().toISOString()
  const steps: KneeStep[] = []
  let current = nextKneeRate([], search)!
  try {
    ctx.log(`── knee search: from rate ${current}, ${search.stepMinutes} min a step, up to ${search.maxSteps} steps`)
    await warmUp(ctx, parts, current)
    await startLoad(ctx, parts, 'step', current)
    // The first step starts from a settled stack: a sink catching up on what the last run left
    // uncommitted, or a compaction of it, would otherwise be charged to the start rate.
    parts.sampler!.setPhase('settle', current)
    const from = parts.clock()
    if (!(await waitFor(ctx, parts, search.settleMaxMinutes * 60, (s, all) => settled(s, all, from, ctx.lagBoundSeconds)))) parts.problems.push(`the stack did not settle within ${search.settleMaxMinutes} min of starting`)
    let rate: number | undefined = current
    while (rate !== undefined) {
      if (rate !== current) await ctx.stack.setRate(rate)
      current = rate
      const w = await hold(ctx, parts, 'step', rate, search.stepMinutes * 60)
      const stepSamples = within(parts.sampler!.samples, w.from, w.to)
      const verdict = judgeKneeStep(stepSamples, { lagBoundSeconds: ctx.lagBoundSeconds, commitIntervalSeconds: ctx.commitIntervalSeconds })
      const records = increase(stepSamples.map((s) => s.counters.records))
      const names = new Set(stepSamples.flatMap((s) => Object.keys(s.processes)))
      const cpu = Object.fromEntries([...names].map((n) => [n, Math.round((meanCoreShare(parts.sampler!.samples, n, w.from, w.to) ?? 0) * 1000) / 1000]))
      steps.push({ rate, passed: verdict.passed, reason: verdict.reason, recordsPerSecond: records === undefined ? null : Math.round(records / Math.max(1, w.to - w.from)), cpu })
      ctx.log(`knee: rate ${rate} ${verdict.passed ? 'passed' : 'failed'}: ${verdict.reason}`)
      rate = nextKneeRate(steps, search)
      if (!verdict.passed && rate !== undefined) {
        parts.sampler!.setPhase('settle', search.settleRate)
        await ctx.stack.setRate(search.settleRate)
        current = search.settleRate
        const from = parts.clock()
        if (!(await waitFor(ctx, parts, search.settleMaxMinutes * 60, (s, all) => settled(s, all, from, ctx.lagBoundSeconds)))) parts.problems.push(`after rate ${steps.at(-1)!.rate} the stack did not settle within ${search.settleMaxMinutes} min`)
      }
    }
  } finally {
    await teardown(ctx, parts)
  }
  return { label: 'knee', startedAt, seconds: Math.round(parts.clock()), stepMinutes: search.stepMinutes, steps, knee: kneeOf(steps, os.availableParallelism()), samples: parts.sampler!.samples, requests: parts.api?.records ?? [], kernelCells: parts.kernel?.records ?? [], kernelPassSeconds: ctx.kernelPassSeconds, problems: parts.problems }
}

/** Where a run's scratch files go. */
export const scratchDir = (config: WorkbenchConfig): string => path.join(config.paths.state, 'soak-work')
