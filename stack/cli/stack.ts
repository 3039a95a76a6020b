/**
 * `npm run stack -- up [service…] | down [service…] | status | logs <service> [lines]`
 * The local stack: real Kafka, schema registry, Iceberg REST catalog, MinIO, Prometheus and
 * JupyterLab as processes on loopback, provisioned on first use.
 */
import { bold, consoleReporter, formatStatus, runCli } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { createStack } from '../lib/manager'
import { serviceNames, type ServiceName } from '../lib/service'
import { allServices } from '../services'
import { loadConfig } from '../../lib'

const usage = `usage: npm run stack -- <command>
  up [service…]      provision (first run) and start, wait until healthy
  down [service…]    stop (data is kept in the state folder)
  status             one line per service
  logs <service> [n] last n lines of a service's log
  run <service>      run one service in the foreground (containers, debugging)
services: ${serviceNames.join(', ')}`

function parseNames(args: string[]): ServiceName[] | undefined {
  if (args.length === 0) return undefined
  for (const a of args) if (!(serviceNames as readonly string[]).includes(a)) throw new Error(`unknown service "${a}"\n${usage}`)
  return args as ServiceName[]
}

runCli(async (config, [command, ...rest]) => {
  if (command === 'up') {
    if (ensureCredentials(config)) consoleReporter.line('stack', `generated local credentials in ${config.paths.state}`)
    const fresh = loadConfig(process.env)
    const stack = createStack(fresh, allServices, consoleReporter)
    await stack.up(parseNames(rest))
    process.stdout.write(`\n${bold('K2 stack')}\n${formatStatus(await stack.status())}\n`)
    return 0
  }
  const stack = createStack(config, allServices, consoleReporter)
  switch (command) {
    case 'down':
      await stack.down(parseNames(rest))
      return 0
    case 'status': {
      const rows = await stack.status()
      process.stdout.write(`${formatStatus(rows)}\n`)
      return rows.every((r) => r.state === 'up') ? 0 : 3
    }
    case 'logs': {
      const [name, lines] = rest
      if (!name) throw new Error(usage)
      process.stdout.write(`${stack.logs(parseNames([name])![0]!, lines ? Number(lines) : 80)}\n`)
      return 0
    }
    case 'run': {
      const [name] = rest
      if (!name) throw new Error(usage)
      return stack.runForeground(parseNames([name])![0]!)
    }
    default:
      process.stderr.write(`${usage}\n`)
      return command ? 2 : 0
  }
})
