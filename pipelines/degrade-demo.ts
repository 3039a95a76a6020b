/**
 * The overload demo (`npm run degrade-demo [-- --full]`): replay exchange → ingest → Kafka →
 * sink, through normal, overload (≥4× what this machine sustains end to end) and recovery, with the
 * degradation manager and load shedder on. Prints a live line a second, then the invariants;
 * writes the timeline to data/degrade-timeline-<mode>.json for the notebook's charts. Runs on
 * its own topics and namespace; exits 1 when an invariant fails.
 */
import * as path from 'node:path'
import { createLogger, errorMessage, loadConfig, overloadDemoRun, runOverloadDemoFromConfig, writeOverloadTimeline, type OverloadSample } from '../lib/index'

async function main(): Promise<number> {
  const config = loadConfig(process.env)
  const mode = process.argv.includes('--full') ? 'full' : 'quick'
  const log = createLogger({ level: 'warn', format: config.log.format, write: (l) => process.stderr.write(l), namespace: 'degrade-demo' })
  const abort = new AbortController()
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => abort.abort(signal))
  const line = (s: OverloadSample): void => {
    process.stdout.write(
      `${s.t.toFixed(0).padStart(4)} s  ${s.phase.padEnd(8)}  offered ${(s.offeredEventsPerSecond / 1000).toFixed(0).padStart(4)}k ev/s  ingest ${s.ingestLevel.padEnd(13)} sink ${s.sinkLevel.padEnd(13)} ` +
        `ingested ${s.ingested.toLocaleString('en').padStart(10)}  shed ${s.shed.toLocaleString('en').padStart(9)}  in lake ${s.committed.toLocaleString('en').padStart(10)}  behind ${s.lagRecords.toLocaleString('en').padStart(9)}\n`,
    )
  }
  try {
    const run = overloadDemoRun(config, 'degrade', Date.now())
    process.stdout.write(`overload demo (${mode}): namespace ${run.namespace}, topics ${run.topicPrefix}.*\n`)
    const result = await runOverloadDemoFromConfig(config, { mode, run, logger: log, onSample: line, signal: abort.signal })
    const file = writeOverloadTimeline(config.paths.root, result)
    const inv = result.invariants
    process.stdout.write(
      `\n${inv.ok ? 'OK' : 'FAILED'}: ${inv.trades.toLocaleString('en')} trades of ${inv.symbols} symbols in the lake; duplicates ${inv.duplicates}, missing ids ${inv.missing}, ` +
        `ingested but not in the lake ${inv.notInLake}, tier-1 trades deferred ${inv.tier1Shed}; levels in order: ${inv.levelsInOrder}\n` +
        `transitions: ingest ${result.transitions.ingest.map((t) => t.to).join(' → ') || 'none'}; sink ${result.transitions.sink.map((t) => t.to).join(' → ') || 'none'}\n` +
        inv.problems.map((p) => `  - ${p}\n`).join('') +
        `timeline: ${path.relative(config.paths.root, file)}\n`,
    )
    return inv.ok ? 0 : 1
  } catch (err) {
    process.stderr.write(`degrade demo failed: ${errorMessage(err)}\n`)
    return 1
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`degrade demo crashed: ${errorMessage(err)}\n`)
    process.exit(1)
  },
)
