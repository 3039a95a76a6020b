/**
 * `npm run doctor`: one screen that tells a presenter whether everything the story needs is up,
 * with the fix for each red line. Exits 1 when anything is red.
 */
import { bold, consoleReporter, dim, green, red, runCli } from '../lib/cli'
import { runChecks } from '../lib/doctor'
import { createStack } from '../lib/manager'
import { allServices } from '../services/index'

runCli(async (config) => {
  const checks = await runChecks(config, createStack(config, allServices, consoleReporter))
  process.stdout.write(`${bold('K2 doctor')}\n`)
  for (const c of checks) {
    const mark = c.ok ? green('✔') : red('✖')
    process.stdout.write(`${mark} ${c.area.padEnd(8)} ${c.name.padEnd(16)} ${c.detail.split('\n')[0]}\n`)
    if (!c.ok && c.fix) process.stdout.write(`  ${dim('fix:')} ${c.fix}\n`)
  }
  const red_ = checks.filter((c) => !c.ok).length
  process.stdout.write(red_ === 0 ? `\n${green('all green')}: ready to present\n` : `\n${red(`${red_} red`)}: fix the lines above, then run npm run doctor again\n`)
  return red_ === 0 ? 0 : 1
})
