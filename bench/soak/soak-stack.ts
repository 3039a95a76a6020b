/**
 * The stack a soak runs on, and how it leaves it. By default a second stack beside the user's
 * (K2_PORT_OFFSET, its own state folder: D9), so a soak composes with a running demo; with
 * offset 0 it uses the main stack, and refuses when workers already run there. It remembers what
 * was up before it started and stops only what it started.
 *
 * Workers are started by the stack manager exactly as `npm run pipelines -- up` starts them: each
 * its own process, inheriting this process's environment, which is how the replay rate
 * (K2_REPLAY_RATE) reaches the replay exchange. A new rate restarts the replay exchange alone;
 * it resumes its market (D33), and the ingest reconnects and repairs from REST history.
 */
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, errorMessage, loadConfig, sleep, type WorkbenchConfig } from '../../lib/internal'
import { ensureCredentials } from '../../stack/lib/credentials'
import { createStack, managedProcess, type Stack } from '../../stack/lib/manager'
import { runningPid } from '../../stack/lib/process'
import type { Reporter } from '../../stack/lib/provision'
import { infraServiceNames, pipelineNames, type ServiceName } from '../../stack/lib/service'
import { allServices } from '../../stack/services/index'

export type WorkerName = (typeof pipelineNames)[number]

export interface SoakStack {
  readonly config: WorkbenchConfig
  readonly portOffset: number
  /** Brings every service up (recording which were already up). */
  up(): Promise<void>
  /** Starts every worker with the replay exchange at `rate`. */
  startWorkers(rate: number): Promise<void>
  /** Restarts the replay exchange at `rate`; the other workers keep running. */
  setRate(rate: number): Promise<void>
  stopWorkers(): Promise<void>
  /** Stops the workers, and the services this soak started. */
  restore(): Promise<void>
  /** Pid of each running service and worker, from the manager's pid files (no health check). */
  pids(): Map<ServiceName, number>
}

/**
 * Points this process's environment at the soak's stack: the port offset and a state folder of
 * its own under the main one's (git-ignored), unless the offset is 0. Returns the config.
 */
export function soakEnvironment(env: NodeJS.ProcessEnv, portOffset: number): WorkbenchConfig {
  if (portOffset !== 0) {
    const main = loadConfig({ ...env, K2_PORT_OFFSET: undefined, K2_STATE_DIR: undefined })
    env.K2_PORT_OFFSET = String(portOffset)
    env.K2_STATE_DIR ??= path.join(main.paths.state, `soak-stack-${portOffset}`)
    // Secrets exported for the main stack must not reach the second one's services: it has its own.
    for (const key of ['K2_S3_ACCESS_KEY', 'K2_S3_SECRET_KEY', 'K2_JUPYTER_TOKEN']) delete env[key]
  }
  ensureCredentials(loadConfig(env))
  return loadConfig(env)
}

/** The soak's stack on `config` (after `soakEnvironment`). */
export function createSoakStack(config: WorkbenchConfig, env: NodeJS.ProcessEnv, reporter: Reporter): SoakStack {
  const stack: Stack = createStack(config, allServices, reporter)
  const byName = new Map(allServices.map((d) => [d.name, d]))
  const pidOf = (name: ServiceName): number | undefined => {
    return runningPid(managedProcess(config, reporter, byName.get(name)!))
  }
  let upBefore: Set<ServiceName> | undefined
  let workersStarted = false
  const portOffset = Number(env.K2_PORT_OFFSET ?? 0)

  return {
    config,
    portOffset,
    async up() {
      const running = pipelineNames.filter((n) => pidOf(n) !== undefined)
      if (running.length > 0) {
        const how = portOffset === 0 ? '`npm run pipelines -- down`, or run the soak on a second stack (the default: --port-offset 10000)' : `K2_PORT_OFFSET=${portOffset} K2_STATE_DIR=${config.paths.state} npm run pipelines -- down`
        throw new WorkbenchError(ErrorCode.ConfigInvalid, `workers already run on the stack at port offset ${portOffset} (${running.join(', ')}): a soak measures workers it starts itself, and would disturb these. Stop them with ${how}.`)
      }
      const status = await stack.status([...infraServiceNames])
      upBefore = new Set(status.filter((s) => s.state === 'up').map((s) => s.name))
      await stack.up([...infraServiceNames])
    },
    async startWorkers(rate) {
      env.K2_REPLAY_RATE = String(rate)
      workersStarted = true
      try {
        await stack.up([...pipelineNames])
      } catch (err) {
        // Seen on a fresh state folder: the API's first metadata request reaches Kafka before the
        // new topics have a leader and the API exits. `up` is idempotent: once more after a pause.
        reporter.line('soak', `a worker failed to start (${errorMessage(err).split('\n')[0]}); trying once more in 5 s`)
        await sleep(5000)
        await stack.up([...pipelineNames])
      }
    },
    async setRate(rate) {
      env.K2_REPLAY_RATE = String(rate)
      await stack.down(['replay-exchange'])
      await stack.up(['replay-exchange'])
    },
    async stopWorkers() {
      if (!workersStarted) return
      await stack.down([...pipelineNames])
      workersStarted = false
    },
    async restore() {
      await this.stopWorkers()
      if (upBefore === undefined) return
      const started = infraServiceNames.filter((n) => !upBefore!.has(n))
      if (started.length > 0) await stack.down(started)
    },
    pids() {
      const out = new Map<ServiceName, number>()
      for (const name of [...infraServiceNames, ...pipelineNames]) {
        const pid = pidOf(name)
        if (pid !== undefined) out.set(name, pid)
      }
      return out
    },
  }
}
