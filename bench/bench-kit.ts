import * as net from 'node:net'
import { quantile as sampleQuantile } from '../lib/index'

/** Small things every benchmark script needs: command-line values, quantiles, a free port. */

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

/** True when `--name` is on the command line. */
export const flag = (name: string): boolean => process.argv.includes(`--${name}`)

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
