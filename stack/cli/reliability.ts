/**
 * `npm run reliability`: writes docs/reliability.md from the last run of each fault test (the
 * records they leave under .state/reliability): kills survived per worker and phase, faults
 * injected, bad inputs tried, and records lost and duplicated. Exits 1 when any record lost or
 * duplicated anything, or left bad input unanswered.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { bold, green, red, runCli } from '../lib/cli'
import { readReliabilityRecords, renderReliability } from '../lib/reliability-report'

runCli(async (config) => {
  const records = readReliabilityRecords(config.paths.state)
  const file = path.join(config.paths.root, 'docs', 'reliability.md')
  fs.writeFileSync(file, renderReliability(records, `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`))
  const bad = records.filter((r) => r.lost + r.duplicated + (r.unanswered ?? 0) > 0 || r.valuesDiffer === true)
  process.stdout.write(`${bold('reliability')}: ${records.length} tests recorded, written to ${path.relative(process.cwd(), file)}\n`)
  if (records.length === 0) process.stdout.write('no records yet: run `npm test` first\n')
  for (const r of bad) process.stdout.write(`${red('✖')} ${r.test}: lost ${r.lost}, duplicated ${r.duplicated}, values ${r.valuesDiffer === true ? 'differ' : 'equal'}, unanswered ${r.unanswered ?? 0}\n`)
  if (records.length > 0 && bad.length === 0) process.stdout.write(`${green('✔')} nothing lost, nothing duplicated\n`)
  return bad.length === 0 ? 0 : 1
})
