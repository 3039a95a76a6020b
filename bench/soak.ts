/**
 * `npm run bench:soak [-- --rate R --minutes N | --knee | --overload [--rate R]] [options]`
 *
 * The whole stack as users run it, measured: every service, every worker as its own process
 * (replay exchange at replay rate R), the HTTP API under a steady query mix from this process,
 * and a tslab kernel running the story's cells in a loop. Every 5 s: each worker's level and
 * signals, shed and backfilled records, feed pauses, lake lag, commit latency, query latency,
 * and CPU and RSS of every process. Writes docs/bench/soak-<label>.json and .md with charts.
 *
 * Modes:
 *   --rate R --minutes N   one soak (default 10 minutes)
 *   --knee                 the highest rate at which lake lag stays bounded and nothing is shed
 *                          (also the knee of docs/bench/soak.json, where a sequence wrote one)
 *   --overload [--rate R]  a run at R (default 4× the last knee): shed time, tier 1, backfill, end level
 *   (none)                 the sequence for the record: knee, rate 1, half the knee, overload at
 *                          4× the knee; also writes docs/bench/soak.json (read by `npm run bench`)
 * Options: --port-offset 10000 (a second stack beside the user's; 0: the main stack, refused while
 * its workers run), --out DIR (default docs/bench), --smoke (writes under .state/soak-smoke and
 * labels the run a smoke run), --stress (the market's stress regime on: by default a soak's
 * market stays calm, so its rate is the load it names: D78), --label L, --idle-seconds 60, --tail-warm-seconds 20 (the API's tail reads this long before its cost is taken), --api-rps 3, --no-kernel, --kernel-pass-seconds 120 (a story pass starts at most this often),
 * --overload-minutes 5, --base-rate 1 (warm-up and drain of an overload run), --step-minutes 3, --start-rate 2, --max-rate 64, --max-steps 8, --drain-minutes 10.
 * It stops what it started, and gives up (tearing down) past its own deadline.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, errorMessage } from '../lib/internal'
import { consoleReporter } from '../stack/lib/cli'
import { arg, declareArgs, flag } from './bench-kit'
import { describeMachine } from './machine'
import { writeKneeReport, writeSoakReport } from './soak/soak-report'
import { runKneeSearch, runSoak, scratchDir, type SoakContext, type SoakPlan, type SoakRunResult } from './soak/soak-run'
import { createSoakStack, soakEnvironment } from './soak/soak-stack'
import { readSoakIndex, soakIndexFile, withRun, withKnee, type SoakIndex } from './soak/soak-index'

declareArgs({ 'api-rps': 'string', 'base-rate': 'string', 'drain-minutes': 'string', 'idle-seconds': 'string', 'kernel-pass-seconds': 'string', 'label': 'string', 'max-rate': 'string', 'max-steps': 'string', 'minutes': 'string', 'out': 'string', 'overload-minutes': 'string', 'port-offset': 'string', 'rate': 'string', 'sample-seconds': 'string', 'start-rate': 'string', 'step-minutes': 'string', 'tail-warm-seconds': 'string', 'knee': 'boolean', 'no-kernel': 'boolean', 'overload': 'boolean', 'smoke': 'boolean', 'stress': 'boolean' })

const say = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
const num = (name: string, fallback: number, zeroAllowed = false): number => {
  const v = Number(arg(name, String(fallback)))
  if (!(v > 0 || (zeroAllowed && v === 0))) throw new WorkbenchError(ErrorCode.ConfigInvalid, `--${name} ${arg(name, '')} is not a ${zeroAllowed ? 'number of 0 or more' : 'positive number'}`)
  return v
}

/** The last knee found in `dir` (soak.json, else soak-knee.json): its rate, for kneeFraction and the overload rate, and its records/s. */
function lastKneeOf(dir: string): { rate: number; recordsPerSecond?: number } | undefined {
  for (const file of ['soak.json', 'soak-knee.json']) {
    try {
      const knee = (JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { knee?: { rate?: number; recordsPerSecond?: number } }).knee
      if (typeof knee?.rate === 'number' && knee.rate > 0) return { rate: knee.rate, ...(typeof knee.recordsPerSecond === 'number' ? { recordsPerSecond: knee.recordsPerSecond } : {}) }
    } catch {
      // not there
    }
  }
  return undefined
}
async function main(): Promise<number> {
  const portOffset = Number(arg('port-offset', '10000'))
  // A soak runs at the load it names: the market's stress regime (2.5× the rate for minutes)
  // stays off unless --stress asks for it (D78). The workers inherit this environment.
  process.env.K2_REPLAY_STRESS = flag('stress') ? 'on' : 'off'
  const config = soakEnvironment(process.env, portOffset)
  const smoke = flag('smoke')
  const out = path.resolve(config.paths.root, arg('out', smoke ? path.join('.state', 'soak-smoke') : path.join('docs', 'bench')))
  const mode = flag('knee') ? 'knee' : flag('overload') ? 'overload' : flag('rate') ? 'rate' : 'sequence'
  const minutes = num('minutes', 10)
  const stepMinutes = num('step-minutes', 3)
  const maxSteps = num('max-steps', 8)
  const drainMinutes = num('drain-minutes', 10)
  const idleSeconds = num('idle-seconds', 60)
  const search = { startRate: num('start-rate', 2), maxRate: num('max-rate', 64), minRate: 0.25, resolution: 1.25, maxSteps, stepMinutes, settleRate: 1, settleMaxMinutes: 5 }
  // The deadline: every phase at its bound, plus start-up and teardown, with a margin.
  const perRun = 4 + idleSeconds / 60 + 5
  const budgetMinutes = { rate: perRun + minutes, overload: perRun + minutes + drainMinutes, knee: perRun + maxSteps * (stepMinutes + search.settleMaxMinutes), sequence: 4 * perRun + maxSteps * (stepMinutes + 5) + 3 * minutes + drainMinutes }[mode]
  const deadlineMs = (budgetMinutes * 1.3 + 10) * 60_000

  const abort = new AbortController()
  const giveUp = (why: string): void => {
    if (abort.signal.aborted) return
    say(`stopping: ${why}; tearing down what the soak started`)
    abort.abort(new Error(why))
    // If teardown itself hangs, leave anyway: the stack manager's pid files name what is left.
    setTimeout(() => {
      say('teardown did not finish within 5 minutes; exiting (see `npm run pipelines -- status` with the soak stack\'s K2_PORT_OFFSET)')
      process.exit(1)
    }, 5 * 60_000).unref()
  }
  const deadline = setTimeout(() => giveUp(`the soak passed its deadline of ${Math.round(deadlineMs / 60_000)} minutes`), deadlineMs)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => giveUp(`${signal} received`))

  const stack = createSoakStack(config, process.env, consoleReporter)
  const ctx: SoakContext = {
    config,
    stack,
    signal: abort.signal,
    log: say,
    workDir: scratchDir(config),
    notebook: path.join(config.paths.root, 'notebooks', '01-ten-minute-story.ipynb'),
    apiRequestsPerSecond: num('api-rps', 3),
    sampleMs: num('sample-seconds', 5) * 1000,
    idleSeconds,
    tailWarmSeconds: num('tail-warm-seconds', 20, true),
    kernel: !flag('no-kernel'),
    kernelPassSeconds: flag('kernel-pass-seconds') ? num('kernel-pass-seconds', 120) : 120,
    lagBoundSeconds: config.sink.maxAgeMs / 1000 + 10,
    commitIntervalSeconds: config.sink.maxAgeMs / 1000,
    stressRegime: config.replay.stress,
  }
  const command = `npm run bench:soak -- ${process.argv.slice(2).join(' ')}`.trim()
  const report = { command, machine: describeMachine(), smoke }
  say(`soak on the stack at port offset ${portOffset} (state ${config.paths.state}); results in ${path.relative(config.paths.root, out) || '.'}; gives up after ${Math.round(deadlineMs / 60_000)} min`)
  const label = (fallback: string): string => arg('label', smoke ? `smoke-${fallback}` : fallback)
  const soakRun = async (plan: SoakPlan): Promise<SoakRunResult> => {
    const run = await runSoak(ctx, plan)
    const file = await writeSoakReport(out, run, report)
    say(`wrote ${path.relative(config.paths.root, file)}: ${JSON.stringify(run.summary)}`)
    return run
  }
  /** A single run's summary into the sequence's index, where there is one (mode rate or overload). */
  const indexRun = (run: SoakRunResult): void => {
    const index = readSoakIndex(out)
    if (!index || smoke) return
    const file = path.relative(config.paths.root, path.join(out, `soak-${run.label}.json`))
    fs.writeFileSync(soakIndexFile(out), `${JSON.stringify(withRun(index, file, run.summary, new Date().toISOString()), null, 1)}\n`)
    say(`${path.relative(config.paths.root, soakIndexFile(out))}: the entry of ${file} is this run's`)
  }
  try {
    await stack.up()
    if (mode === 'rate') {
      const rate = num('rate', 1)
      const knee = lastKneeOf(out)
      indexRun(await soakRun({ label: label(`rate-${rate}-${minutes}min`), rate, minutes, kneeRate: knee?.rate, kneeRecordsPerSecond: knee?.recordsPerSecond }))
    } else if (mode === 'overload') {
      const last = lastKneeOf(out)
      const knee = last?.rate
      const rate = flag('rate') ? num('rate', 1) : knee ? knee * 4 : undefined
      if (rate === undefined) throw new WorkbenchError(ErrorCode.ConfigInvalid, `--overload needs --rate R, or a knee found earlier in ${out} (run --knee first)`)
      indexRun(await soakRun({ label: label(`overload-${rate}`), rate, minutes: flag('minutes') ? minutes : num('overload-minutes', 5), kneeRate: knee, kneeRecordsPerSecond: last?.recordsPerSecond, overload: { baseRate: num('base-rate', 1), drainMaxMinutes: drainMinutes } }))
    } else {
      const kneeRun = await runKneeSearch(ctx, search)
      say(`wrote ${path.relative(config.paths.root, await writeKneeReport(out, kneeRun, report))}: knee ${JSON.stringify(kneeRun.knee)}`)
      const index = readSoakIndex(out)
      if (mode === 'knee' && index && !smoke && kneeRun.knee.rate !== null) {
        fs.writeFileSync(soakIndexFile(out), `${JSON.stringify(withKnee(index, kneeRun.knee, new Date().toISOString()), null, 1)}\n`)
        say(`${path.relative(config.paths.root, soakIndexFile(out))}: its knee is this run's`)
      }
      if (mode === 'sequence') {
        const knee = kneeRun.knee.rate
        if (knee === null) throw new WorkbenchError(ErrorCode.ConfigInvalid, `no rate kept up, down to ${search.minRate}: see ${path.join(out, 'soak-knee.md')} for why`)
        const runs: SoakRunResult[] = []
        const kneeRecordsPerSecond = kneeRun.knee.recordsPerSecond ?? undefined
        runs.push(await soakRun({ label: label(`rate-1-${minutes}min`), rate: 1, minutes, kneeRate: knee, kneeRecordsPerSecond }))
        runs.push(await soakRun({ label: label(`half-knee-${minutes}min`), rate: knee / 2, minutes, kneeRate: knee, kneeRecordsPerSecond }))
        runs.push(await soakRun({ label: label('overload'), rate: knee * 4, minutes: num('overload-minutes', 5), kneeRate: knee, kneeRecordsPerSecond, overload: { baseRate: 1, drainMaxMinutes: drainMinutes } }))
        const index: SoakIndex = {
          generatedAt: new Date().toISOString(),
          command,
          knee: { rate: kneeRun.knee.rate, recordsPerSecond: kneeRun.knee.recordsPerSecond, bottleneck: kneeRun.knee.bottleneck },
          soak: runs.map((r) => r.summary),
          files: ['soak-knee.json', ...runs.map((r) => `soak-${r.label}.json`)].map((f) => path.relative(config.paths.root, path.join(out, f))),
        }
        fs.writeFileSync(soakIndexFile(out), `${JSON.stringify(index, null, 1)}\n`)
        say(`wrote ${path.relative(config.paths.root, soakIndexFile(out))}`)
      }
    }
    return 0
  } catch (err) {
    say(`soak failed: ${abort.signal.aborted ? errorMessage(abort.signal.reason) : errorMessage(err)}`)
    return 1
  } finally {
    clearTimeout(deadline)
    await stack.restore().catch((err: unknown) => say(`could not stop everything the soak started: ${errorMessage(err)}`))
    say('the soak stopped what it started')
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`bench:soak failed: ${errorMessage(err)}`)
    process.exit(1)
  },
)
