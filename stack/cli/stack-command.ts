import { loadConfig, type WorkbenchConfig } from '../../lib/internal'
import { bold, consoleReporter, formatStatus } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { createStack } from '../lib/manager'
import type { ServiceName } from '../lib/service'
import { allServices, groupNames } from '../services/index'

/**
 * `up | down | status | logs | run` over one group of services: `npm run stack` (the servers)
 * and `npm run pipelines` (the workers) are this command with another group.
 */
export async function stackCommand(group: 'infra' | 'pipeline', config: WorkbenchConfig, [command, ...rest]: string[]): Promise<number> {
  const names = groupNames(group)
  // The stack's optional servers (Kafka Connect) are named to start; `down` with no names stops them too.
  const optional = group === 'infra' ? groupNames('optional') : []
  const script = group === 'infra' ? 'stack' : 'pipelines'
  const usage = `usage: npm run ${script} -- <command>
  up [name…]      ${group === 'infra' ? 'provision (first run) and start' : 'start'}, wait until healthy
  down [name…]    stop (data is kept in the state folder)
  status          one line each
  logs <name> [n] last n lines of a log
  run <name>      run one in the foreground (containers, debugging)
names: ${names.join(', ')}${optional.length > 0 ? ` (and, started only by name: ${optional.join(', ')})` : ''}`
  const parseNames = (args: string[], all = names): ServiceName[] => {
    for (const a of args) if (![...names, ...optional].includes(a as ServiceName)) throw new Error(`unknown name "${a}"\n${usage}`)
    return args.length > 0 ? (args as ServiceName[]) : all
  }
  /** The group, and the optional servers that are not down (status shows them while they run). */
  const shown = async (stack: ReturnType<typeof createStack>): Promise<ServiceName[]> => [...names, ...(await stack.status(optional)).filter((s) => s.state !== 'down').map((s) => s.name)]

  if (command === 'up') {
    if (ensureCredentials(config)) consoleReporter.line('stack', `generated local credentials in ${config.paths.state}`)
    const stack = createStack(loadConfig(process.env), allServices, consoleReporter)
    await stack.up(parseNames(rest))
    process.stdout.write(`\n${bold(group === 'infra' ? 'K2 stack' : 'K2 pipelines')}\n${formatStatus(await stack.status(await shown(stack)))}\n`)
    return 0
  }
  const stack = createStack(config, allServices, consoleReporter)
  switch (command) {
    case 'down':
      await stack.down(parseNames(rest, [...optional, ...names]))
      return 0
    case 'status': {
      const rows = await stack.status(await shown(stack))
      process.stdout.write(`${formatStatus(rows)}\n`)
      return rows.every((r) => r.state === 'up') ? 0 : 3
    }
    case 'logs': {
      const [name, lines] = rest
      if (!name) throw new Error(usage)
      process.stdout.write(`${stack.logs(parseNames([name])[0]!, lines ? Number(lines) : 80)}\n`)
      return 0
    }
    case 'run': {
      const [name] = rest
      if (!name) throw new Error(usage)
      return stack.runForeground(parseNames([name])[0]!)
    }
    default:
      process.stderr.write(`${usage}\n`)
      return command ? 2 : 0
  }
}
