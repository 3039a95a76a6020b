import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import { ErrorCode, WorkbenchError, errorMessage, sleep, type WorkbenchConfig } from '../../lib/internal'
import { departedOwner, peekPid, portInUse, residentBytes, runningPid, startDetached, stopProcess, tailFile, type ManagedProcess } from './process'
import { checkRequirement, formatSeconds, indent, type Reporter } from './provision'
import { instanceName, serviceContext, type ServiceContext, type ServiceDefinition, type ServiceName } from './service'
import * as path from 'node:path'

/** What `status` says of one service. */
export interface ServiceStatus {
  readonly name: ServiceName
  /** up: healthy; starting: our process runs but does not answer yet; down: nothing answers. */
  readonly state: 'up' | 'starting' | 'down'
  /** managed: started by this stack; external: something else answers on the address. */
  readonly owner: 'managed' | 'external' | 'none'
  readonly address: string
  readonly title: string
  /** The version the running service reports, else the one the stack provisions. */
  readonly version: string
  readonly pid?: number
  readonly rssBytes?: number
  readonly latencyMs?: number
  readonly problem?: string
}

export interface Stack {
  readonly services: readonly ServiceDefinition[]
  up(names?: readonly ServiceName[]): Promise<void>
  down(names?: readonly ServiceName[]): Promise<void>
  status(names?: readonly ServiceName[]): Promise<ServiceStatus[]>
  logs(name: ServiceName, lines?: number): string
  /** Provisions and runs one service attached to this terminal until it exits; its exit code. */
  runForeground(name: ServiceName): Promise<number>
}

/** How the manager finds a service instance's process: its pid file, log and command-line marker. */
export function managedProcess(config: WorkbenchConfig, reporter: Reporter, d: ServiceDefinition): ManagedProcess {
  const c = serviceContext(config, reporter, d)
  const p = { pidFile: path.join(config.paths.state, 'run', `${instanceName(config, d)}.pid`), logFile: c.logFile, marker: d.marker(c) }
  // A stack started before pid files went by instance (`kafka.pid`): adopt its file when the
  // process in it is this instance, so `down` still finds it.
  const legacy = path.join(config.paths.state, 'run', `${d.name}.pid`)
  if (!fs.existsSync(p.pidFile) && fs.existsSync(legacy) && peekPid({ ...p, pidFile: legacy }) !== undefined) fs.renameSync(legacy, p.pidFile)
  return p
}

/** The local stack manager over the given service definitions. */
export function createStack(config: WorkbenchConfig, definitions: readonly ServiceDefinition[], reporter: Reporter): Stack {
  const byName = new Map(definitions.map((d) => [d.name, d]))
  const ctx = (d: ServiceDefinition): ServiceContext => serviceContext(config, reporter, d)
  const managed = (d: ServiceDefinition): ManagedProcess => managedProcess(config, reporter, d)

  /** The named services plus everything they depend on, dependencies first. */
  const closure = (names: readonly ServiceName[]): ServiceDefinition[] => {
    const out: ServiceDefinition[] = []
    const visit = (n: ServiceName): void => {
      const d = byName.get(n)
      if (!d) throw new WorkbenchError(ErrorCode.ConfigInvalid, `unknown service ${n}: expected one of ${[...byName.keys()].join(', ')}`)
      if (out.includes(d)) return
      d.dependsOn.forEach(visit)
      out.push(d)
    }
    names.forEach(visit)
    return out
  }

  async function healthy(d: ServiceDefinition): Promise<{ ok: boolean; latencyMs: number; version?: string; problem?: string }> {
    const started = Date.now()
    try {
      const reported = await d.health(ctx(d))
      const version = typeof reported === 'string' ? reported : undefined
      return { ok: true, latencyMs: Date.now() - started, version }
    } catch (err) {
      return { ok: false, latencyMs: Date.now() - started, problem: errorMessage(err) }
    }
  }

  async function start(d: ServiceDefinition): Promise<void> {
    const proc = managed(d)
    const departing = runningPid(proc)
    // A worker whose notebook kernel has ended is on its way out: taken for a running one, it
    // would vanish under whoever asked for it. Wait for it to go, then start a new one.
    if (departing !== undefined && departedOwner(departing) !== undefined) {
      reporter.line(d.name, `waiting for pid ${departing} to stop (the kernel that started it has ended)`)
      await waitGone(proc, 60_000)
    }
    const adopted = runningPid(proc) !== undefined
    try {
      await launch(d, proc)
    } catch (err) {
      // A process running when we came, which then exited before it answered, was stopping (its
      // owner ending it as we looked): start our own, once.
      if (!adopted || runningPid(proc) !== undefined || !(err instanceof WorkbenchError && err.code === ErrorCode.ServiceStartFailed)) throw err
      reporter.line(d.name, 'the process that was running exited as it was starting: starting a new one')
      await launch(d, proc)
    }
  }

  async function waitGone(proc: ManagedProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (runningPid(proc) !== undefined) {
      if (Date.now() > deadline) throw new WorkbenchError(ErrorCode.ServiceStartFailed, `${proc.pidFile}: the process is still stopping after ${formatSeconds(timeoutMs)}`, true)
      await sleep(250)
    }
  }

  async function launch(d: ServiceDefinition, proc: ManagedProcess): Promise<void> {
    const c = ctx(d)
    const pid = runningPid(proc)
    if (pid === undefined) {
      const now = await healthy(d)
      if (now.ok) {
        reporter.line(d.name, `already answering at ${d.address(config)} (not started by this stack): using it`)
        return
      }
      for (const port of d.ports(config)) {
        if (await portInUse(config.host, port)) {
          throw new WorkbenchError(
            ErrorCode.ServiceStartFailed,
            `${d.name}: port ${port} on ${config.host} is taken by another program. Stop it, or give this stack other ports (K2_PORT_OFFSET=1000 shifts them all).`,
          )
        }
      }
      const spec = await d.prepare(c)
      fs.mkdirSync(c.stateDir, { recursive: true })
      const started = startDetached(proc, spec)
      reporter.line(d.name, `started (pid ${started}), waiting until it answers at ${d.address(config)}`)
    }
    await waitHealthy(d, proc)
    if (d.afterStart) await d.afterStart(c)
  }

  async function waitHealthy(d: ServiceDefinition, proc: ManagedProcess): Promise<void> {
    const started = Date.now()
    let last: string | undefined
    let nextNote = started + 15_000
    while (Date.now() - started < d.startTimeoutMs) {
      const h = await healthy(d)
      if (h.ok) {
        reporter.line(d.name, `up at ${d.address(config)} (${formatSeconds(Date.now() - started)})`)
        return
      }
      last = h.problem
      if (runningPid(proc) === undefined) {
        throw new WorkbenchError(
          ErrorCode.ServiceStartFailed,
          `${d.name} exited during start-up. Last lines of ${proc.logFile}:\n${indent(tailFile(proc.logFile, 20))}`,
        )
      }
      if (Date.now() > nextNote) {
        reporter.line(d.name, `still starting (${formatSeconds(Date.now() - started)}): ${last}`)
        nextNote = Date.now() + 15_000
      }
      await sleep(250)
    }
    throw new WorkbenchError(
      ErrorCode.ServiceStartFailed,
      `${d.name} did not become healthy within ${formatSeconds(d.startTimeoutMs)} (${last}). Last lines of ${proc.logFile}:\n${indent(tailFile(proc.logFile, 20))}`,
    )
  }

  return {
    services: definitions,

    async up(names = definitions.map((d) => d.name)) {
      const wanted = closure(names)
      const missing: string[] = []
      for (const d of wanted) {
        for (const r of d.requirements) {
          try {
            checkRequirement(d.name, r)
          } catch (err) {
            missing.push(errorMessage(err))
          }
        }
      }
      if (missing.length > 0) {
        throw new WorkbenchError(ErrorCode.RequirementMissing, `cannot bring the stack up, tools are missing:\n  - ${[...new Set(missing)].join('\n  - ')}`)
      }
      // Downloads and builds one at a time (they share ~/.m2 and the CPU); starts in parallel by dependency level.
      for (const d of wanted) {
        if (d.provisionWhileRunning || runningPid(managed(d)) === undefined) await d.provision(ctx(d))
      }
      const pending = new Map<ServiceName, Promise<void>>()
      const launch = (d: ServiceDefinition): Promise<void> => {
        let p = pending.get(d.name)
        if (!p) {
          p = Promise.all(d.dependsOn.map((n) => launch(byName.get(n)!))).then(() => start(d))
          pending.set(d.name, p)
        }
        return p
      }
      const results = await Promise.allSettled(wanted.map(launch))
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []))
      if (failures.length > 0) {
        throw new WorkbenchError(ErrorCode.ServiceStartFailed, [...new Set(failures)].join('\n'))
      }
    },

    async down(names = definitions.map((d) => d.name)) {
      // Dependants first: reverse of the dependency order; a push feed before its readers, and a
      // draining reader after the writers.
      const reverse = closure(names).filter((d) => names.includes(d.name)).reverse()
      const order = [...reverse.filter((d) => d.stopsBeforeReaders), ...reverse.filter((d) => !d.stopsBeforeReaders && !d.stopsAfterWriters), ...reverse.filter((d) => d.stopsAfterWriters && !d.stopsBeforeReaders)]
      for (const d of order) {
        const started = Date.now()
        // A worker finishes its commits in flight within its stop grace; SIGKILL comes 10 s after.
        const result = await stopProcess(managed(d), d.group === 'pipeline' ? config.worker.stopGraceMs + 10_000 : undefined)
        if (result !== 'not-running') reporter.line(d.name, `${result} (${formatSeconds(Date.now() - started)})`)
      }
    },

    async status(names = definitions.map((d) => d.name)) {
      return Promise.all(
        names.map(async (name): Promise<ServiceStatus> => {
          const d = byName.get(name)!
          const pid = runningPid(managed(d))
          const h = await healthy(d)
          const base = { name, address: d.address(config), title: d.title, version: h.version ?? d.version, latencyMs: h.latencyMs }
          if (pid !== undefined) {
            return { ...base, state: h.ok ? 'up' : 'starting', owner: 'managed', pid, rssBytes: residentBytes(pid), problem: h.problem }
          }
          return h.ok ? { ...base, state: 'up', owner: 'external' } : { ...base, state: 'down', owner: 'none', problem: h.problem }
        }),
      )
    },

    async runForeground(name) {
      const d = closure([name]).at(-1)!
      for (const r of d.requirements) checkRequirement(d.name, r)
      await d.provision(ctx(d))
      const spec = await d.prepare(ctx(d))
      const child = spawn(spec.command, [...spec.args], { stdio: 'inherit', env: (spec.env ?? process.env) as NodeJS.ProcessEnv, cwd: spec.cwd })
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
      return new Promise<number>((resolve, reject) => {
        child.once('error', reject)
        child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)))
      })
    },

    logs(name, lines = 80) {
      const d = byName.get(name)
      if (!d) throw new WorkbenchError(ErrorCode.ConfigInvalid, `unknown service ${name}: expected one of ${[...byName.keys()].join(', ')}`)
      return tailFile(ctx(d).logFile, lines)
    },
  }
}
