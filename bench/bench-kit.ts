import { spawnSync } from 'node:child_process'
import * as net from 'node:net'
import { parseArgs } from 'node:util'
import { quantile as sampleQuantile } from '../lib/internal'

/** Small things every benchmark script needs: command-line values, quantiles, a free port. */

let declared: { readonly names: ReadonlySet<string>; readonly values: Readonly<Record<string, string | boolean | undefined>> } | undefined

/**
 * Command-line options checked with node's `util.parseArgs` (strict): an option the script does
 * not take, a flag given a value, or an option missing its value is an error that names what the
 * script takes, not a typo silently left at its default. Booleans are flags; the rest take a value.
 */
export function parseOptions(options: Readonly<Record<string, 'string' | 'boolean'>>, argv: readonly string[]): Record<string, string | boolean | undefined> {
  const takes = Object.entries(options).map(([name, type]) => `--${name}${type === 'string' ? ' <value>' : ''}`).join(', ')
  try {
    return parseArgs({ args: [...argv], options: Object.fromEntries(Object.entries(options).map(([name, type]) => [name, { type }])), strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}. This command takes ${takes || 'no options'}.`)
  }
}

/** Declares the script's options (see parseOptions); a bad command line ends the process with the reason (exit 2). Call it before `arg` and `flag`. */
export function declareArgs(options: Readonly<Record<string, 'string' | 'boolean'>>, argv: readonly string[] = process.argv.slice(2)): void {
  try {
    declared = { names: new Set(Object.keys(options)), values: parseOptions(options, argv) }
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(2)
  }
}

function declaredValue(name: string): string | boolean | undefined {
  if (!declared?.names.has(name)) throw new Error(`--${name} is read but not declared with declareArgs (a bug in the script)`)
  return declared.values[name]
}

/** The value of `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const v = declaredValue(name)
  return typeof v === 'string' && v !== '' ? v : fallback
}

/** True when `--name` is on the command line (a flag, or an option given a value). */
export const flag = (name: string): boolean => declaredValue(name) !== undefined

/** lib's quantile (nearest rank: p99 of 30 values is the largest); 0 for no values, as the result files have always had it. */
export function quantile(xs: readonly number[], q: number): number {
  return sampleQuantile(xs, q) ?? 0
}

/** A TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/**
 * Runs this benchmark again in a node with `flags` unless it already has them, and exits with its
 * status: a benchmark that times the query engine in its own process runs it with the V8 flags
 * the API worker and the notebooks' kernel give it (stack/lib/node-flags.ts).
 */
export function ensureNodeFlags(flags: readonly string[]): void {
  if (flags.every((f) => process.execArgv.includes(f))) return
  const run = spawnSync(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], { stdio: 'inherit', env: process.env })
  process.exit(run.status ?? 1)
}
