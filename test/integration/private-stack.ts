/**
 * A stack of the test's own, beside the user's: for the tests that stop and restart services
 * (the broker, the catalog, the object store). Restarting the user's broker while a demo runs
 * pauses the demo's ingest, and a pause longer than the exchange's history leaves holes in the
 * demo's lake; `npm test` must leave the user's stack as it found it (issue 17, point 9).
 *
 * The private stack is the project's own stack manager on a port offset no one uses, with a state
 * folder of its own under the main one's (its data, logs, pid files and generated credentials),
 * sharing the download cache. `close()` stops what it started and removes its folder.
 */
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { loadConfig, type WorkbenchConfig } from '../../lib/internal'
import { ensureCredentials } from '../../stack/lib/credentials'
import { createStack, type Stack } from '../../stack/lib/manager'
import type { ServiceName } from '../../stack/lib/service'
import { allServices } from '../../stack/services'

export interface PrivateStack {
  readonly config: WorkbenchConfig
  /** The environment overrides a worker started on this stack needs (for `startWorker`). */
  readonly env: Record<string, string | undefined>
  readonly stack: Stack
  /** What the stack manager said, for a failure message. */
  readonly said: () => string
  /** Stops every service of this stack and removes its state folder. */
  close(): Promise<void>
}

/** Secrets of the main stack that must not reach the private one's services: it has its own. */
const mainSecrets = ['K2_S3_ACCESS_KEY', 'K2_S3_SECRET_KEY', 'K2_JUPYTER_TOKEN', 'K2_PORT_OFFSET', 'K2_STATE_DIR'] as const

async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}

/** The first offset from 30000 up at which every port of every service is free. */
async function freeOffset(host: string): Promise<number> {
  const main = loadConfig({ ...process.env, K2_PORT_OFFSET: undefined })
  for (let offset = 30_000; offset <= 50_000; offset += 1000) {
    const config = loadConfig({ ...process.env, K2_PORT_OFFSET: String(offset), K2_STATE_DIR: main.paths.state })
    const ports = allServices.flatMap((d) => d.ports(config))
    let free = true
    for (const p of ports) if (!(free = await portFree(p, host))) break
    if (free) return offset
  }
  throw new Error('no port offset from 30000 to 50000 has every service port free')
}

/** Starts `services` (and what they depend on) on a stack of the test's own. */
export async function startPrivateStack(label: string, services: readonly ServiceName[]): Promise<PrivateStack> {
  const main = loadConfig(process.env)
  const offset = await freeOffset(main.host)
  const stateDir = path.join(main.paths.state, 'test-stacks', `${label}-${offset}`)
  fs.rmSync(stateDir, { recursive: true, force: true })
  const env: Record<string, string | undefined> = Object.fromEntries(mainSecrets.map((k) => [k, undefined]))
  env.K2_PORT_OFFSET = String(offset)
  env.K2_STATE_DIR = stateDir
  const merged = { ...process.env, ...env }
  ensureCredentials(loadConfig(merged))
  const config = loadConfig(merged)
  const lines: string[] = []
  const stack = createStack(config, allServices, { line: (service, message) => lines.push(`${service} ${message}`) })
  const close = async (): Promise<void> => {
    await stack.down().catch(() => undefined)
    fs.rmSync(stateDir, { recursive: true, force: true })
  }
  try {
    await stack.up([...services])
  } catch (err) {
    await close()
    throw new Error(`the private stack at port offset ${offset} did not start: ${(err as Error).message}\n${lines.slice(-20).join('\n')}`)
  }
  return { config, env, stack, said: () => lines.join('\n'), close }
}
