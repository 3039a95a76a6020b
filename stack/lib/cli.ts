import { errorMessage, loadConfig, type WorkbenchConfig } from '../../lib/internal'
import type { ServiceStatus } from './manager'
import type { Reporter } from './provision'

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s)
export const green = (s: string): string => paint('32', s)
export const red = (s: string): string => paint('31', s)
export const yellow = (s: string): string => paint('33', s)
export const dim = (s: string): string => paint('2', s)
export const bold = (s: string): string => paint('1', s)

/** Progress lines on stderr: `  kafka            │ message`. */
export const consoleReporter: Reporter = {
  line(service, message) {
    process.stderr.write(`${dim(new Date().toISOString().slice(11, 19))} ${service.padEnd(16)} ${message}\n`)
  },
}

/**
 * Runs a command-line entry point: config from the environment (plus the stack's generated
 * credentials), failures printed as their message, not a stack trace, and exit code 1.
 */
export function runCli(main: (config: WorkbenchConfig, args: string[]) => Promise<number | void>): void {
  let config: WorkbenchConfig
  const fail = (err: unknown): never => {
    process.stderr.write(`\n${red('✖')} ${errorMessage(err)}\n`)
    if (process.env.K2_LOG_LEVEL === 'debug' && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    process.exit(1)
  }
  try {
    config = loadConfig(process.env)
  } catch (err) {
    fail(err)
  }
  main(config!, process.argv.slice(2)).then(
    (code) => process.exit(code ?? 0),
    (err) => fail(err),
  )
}

/** One line per service: state, address, version, pid and memory. */
export function formatStatus(rows: readonly ServiceStatus[]): string {
  return rows
    .map((s) => {
      const mark = s.state === 'up' ? green('● up      ') : s.state === 'starting' ? yellow('◐ starting') : red('○ down    ')
      const owner = s.owner === 'external' ? dim(' (external)') : ''
      const proc = s.pid ? dim(` pid ${s.pid}${s.rssBytes ? `, ${Math.round(s.rssBytes / 2 ** 20)} MiB` : ''}`) : ''
      const problem = s.state !== 'up' && s.problem ? `\n${' '.repeat(29)}${dim(s.problem.split('\n')[0]!)}` : ''
      return `${s.name.padEnd(16)} ${mark} ${s.address.padEnd(40)} ${s.title} ${dim(s.version)}${owner}${proc}${problem}`
    })
    .join('\n')
}
