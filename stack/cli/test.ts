/**
 * `npm test`: the whole suite on a fresh machine. Type-checks and lints, brings the local stack
 * up (provisioning it on first use), runs every vitest project (unit, integration against the
 * real services, notebooks through tslab), prints one closing `tests: N passed, N failed` line,
 * and stops the services it started itself (K2_KEEP_STACK=1 keeps them).
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { loadConfig } from '../../lib/internal'
import { bold, consoleReporter, formatStatus, red, runCli } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { createStack } from '../lib/manager'
import { readReliabilityRecords, type ReliabilityRecord } from '../lib/reliability-report'
import { stackDisturbances } from '../lib/stack-guard'
import { leftBehind, readStackNames, sweep } from '../lib/test-sweep'
import { allServices, groupNames } from '../services/index'

interface VitestJson {
  numPassedTests: number
  numFailedTests: number
  /** Suites counts describe blocks as well as files: a file's own status is in testResults. */
  numFailedTestSuites: number
  testResults: Array<{ name: string; status: string }>
  numPendingTests: number
  numTodoTests: number
}

runCli(async (initial, args) => {
  const root = initial.paths.root
  const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name)
  const step = (title: string, command: string, argv: string[], env?: NodeJS.ProcessEnv): number => {
    consoleReporter.line('test', title)
    return spawnSync(command, argv, { cwd: root, stdio: 'inherit', env: env ?? process.env }).status ?? 1
  }

  if (step('type-check (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) !== 0) throw new Error('type-check failed (see above)')
  if (step('lint (eslint)', bin('eslint'), ['.']) !== 0) throw new Error('lint failed (see above)')
  if (step("notebooks' cells: type-check, lint, line length", process.execPath, [path.join(root, 'stack', 'bootstrap.cjs'), 'stack/cli/notebook-check.ts']) !== 0) throw new Error('the notebook check failed (see above)')

  ensureCredentials(initial)
  // JupyterLab's kernels inherit its environment: a JupyterLab this run starts runs notebooks in
  // quick mode (the browser test runs the story there).
  process.env.K2_NOTEBOOK_MODE ??= 'quick'
  const config = loadConfig(process.env)
  const stack = createStack(config, allServices, consoleReporter)
  // The servers only: tests start the workers they need themselves, with their own names.
  const infra = groupNames('infra')
  const before = await stack.status(infra)
  await stack.up(infra)
  process.stdout.write(`\n${bold('K2 stack')}\n${formatStatus(await stack.status(infra))}\n\n`)

  // Everything the user runs on this stack, to check afterwards that the tests left it alone.
  const found = await stack.status()
  const namesBefore = await readStackNames(config)
  const started = Date.now()
  const report = path.join(config.paths.state, 'test-results.json')
  fs.rmSync(report, { force: true })
  const status = step('vitest: unit, integration and notebook tests', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args])

  // Topics and lake namespaces the tests made and did not remove (a clean-up that failed): gone
  // now, and counted, so the user's broker and catalog end as they were.
  const leftover = leftBehind(namesBefore, await readStackNames(config))
  if (leftover.topics.length + leftover.namespaces.length > 0) {
    const failed = await sweep(config, leftover)
    consoleReporter.line('test', `removed ${leftover.topics.length} topics and ${leftover.namespaces.length} lake namespaces tests left behind${failed.length > 0 ? `; could not remove ${failed.join(', ')}` : ''}`)
  }
  let disturbed = stackDisturbances(found, await stack.status())
  // A service run outside the stack (no pid to compare) may miss one health check on a loaded machine: look again.
  if (disturbed.length > 0) {
    await new Promise((r) => setTimeout(r, 10_000))
    disturbed = stackDisturbances(found, await stack.status())
  }
  for (const d of disturbed) process.stdout.write(`${red('the tests disturbed the stack')}: ${d}\n`)
  const keep = process.env.K2_KEEP_STACK === '1'
  const startedHere = before.filter((s) => s.state === 'down').map((s) => s.name)
  if (!keep && startedHere.length > 0) {
    consoleReporter.line('test', `stopping the services this run started: ${startedHere.join(', ')} (K2_KEEP_STACK=1 keeps them)`)
    await stack.down(startedHere)
  }

  if (!fs.existsSync(report)) {
    process.stdout.write(`${red('vitest wrote no report')}: it failed before running tests (exit ${status})\n`)
    return status || 1
  }
  const r = JSON.parse(fs.readFileSync(report, 'utf8')) as VitestJson
  const skipped = r.numPendingTests + r.numTodoTests
  // A file whose setup failed (a beforeAll that threw) skips its tests: say so, or "0 failed" reads as a pass.
  const failedFiles = r.testResults.filter((f) => f.status === 'failed').length
  const suites = failedFiles > 0 ? `, ${failedFiles} test file${failedFiles === 1 ? '' : 's'} failed` : ''
  process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${suites}\n`)
  // What the fault tests did and found, totalled (npm run reliability writes docs/reliability.md from it).
  const records = readReliabilityRecords(config.paths.state).filter((rec) => Date.parse(rec.at) >= started)
  if (records.length > 0) {
    const sum = (f: (rec: ReliabilityRecord) => number): number => records.reduce((a, rec) => a + f(rec), 0)
    const faults = sum((rec) => rec.entries.reduce((a, e) => a + e.count, 0))
    process.stdout.write(`reliability: ${records.length} fault tests, ${faults.toLocaleString('en')} kills, faults and bad inputs; ${sum((rec) => rec.checked).toLocaleString('en')} records checked, ${sum((rec) => rec.lost)} lost, ${sum((rec) => rec.duplicated)} duplicated (npm run reliability writes docs/reliability.md)\n`)
  }
  if (disturbed.length > 0) process.stdout.write(`${red(`${disturbed.length} disturbance${disturbed.length === 1 ? '' : 's'} of the stack this run found`)}: npm test must leave the user's services and workers as they were (see above)\n`)
  return status === 0 && r.numFailedTests === 0 && r.numFailedTestSuites === 0 && disturbed.length === 0 ? 0 : 1
})
