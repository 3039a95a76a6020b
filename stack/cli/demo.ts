/**
 * `npm run demo`: the main job on a fresh machine. Installs what is missing, brings the whole
 * stack up, and leaves JupyterLab running with its address and a status screen.
 * `npm run demo -- --stop` stops everything (data is kept).
 */
import { loadConfig } from '../../lib/index'
import { bold, consoleReporter, dim, formatStatus, green, red, runCli } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { runChecks } from '../lib/doctor'
import { createStack } from '../lib/manager'
import { allServices, groupNames } from '../services/index'

runCli(async (initial, args) => {
  if (args.includes('--stop')) {
    await createStack(initial, allServices, consoleReporter).down()
    process.stdout.write('K2 stack stopped; data is kept in the state folder.\n')
    return 0
  }
  ensureCredentials(initial)
  const config = loadConfig(process.env)
  const stack = createStack(config, allServices, consoleReporter)
  // The servers, then the workers: replay exchange → ingest → Kafka.
  await stack.up(groupNames('infra'))
  await stack.up(groupNames('pipeline'))
  const checks = await runChecks(config, stack)
  const redLines = checks.filter((c) => !c.ok)
  process.stdout.write(`\n${bold('K2 workbench')}\n${formatStatus(await stack.status())}\n\n`)
  for (const c of redLines) process.stdout.write(`${red('✖')} ${c.name}: ${c.detail}\n  fix: ${c.fix}\n`)
  process.stdout.write(
    [
      `${green('JupyterLab')}  ${config.jupyter.url}/lab?token=${config.jupyter.token}`,
      `${dim('Prometheus')}  ${config.prometheus.url}`,
      `${dim('MinIO console')} http://${config.host}:${config.s3.consolePort}  (user ${config.s3.accessKeyId}; secret in ${config.paths.state}/credentials.env)`,
      '',
      `npm run pipelines -- status   the workers (logs: npm run pipelines -- logs ingest)`,
      `npm run doctor        checks everything the story needs`,
      `npm run demo -- --stop  stops the stack (data is kept)`,
      '',
    ].join('\n'),
  )
  return redLines.length === 0 ? 0 : 1
})
