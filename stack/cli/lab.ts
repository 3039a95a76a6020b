/** `npm run lab`: makes sure JupyterLab runs (with the tslab kernel) and prints the address to open. */
import { loadConfig } from '../../lib/internal'
import { bold, consoleReporter, runCli } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { createStack } from '../lib/manager'
import { allServices } from '../services/index'

runCli(async (initial) => {
  ensureCredentials(initial)
  const config = loadConfig(process.env)
  await createStack(config, allServices, consoleReporter).up(['jupyter'])
  process.stdout.write(`\n${bold('JupyterLab')} on the notebooks folder:\n  ${config.jupyter.url}/lab?token=${config.jupyter.token}\n`)
})
