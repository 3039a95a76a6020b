import { spawn, type SpawnOptions } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, sleep } from '../../lib/internal'

/**
 * Background service processes: started detached in their own process group with output to a
 * log file, remembered by a pid file, stopped with SIGTERM to the group (SIGKILL after a grace
 * period). A pid file is trusted only while its process still runs the same command, so a
 * recycled pid is never signalled.
 */
export interface ManagedProcess {
  readonly pidFile: string
  readonly logFile: string
  /** A string that must appear in /proc/<pid>/cmdline for the pid to be ours. */
  readonly marker: string
}

export interface StartSpec {
  readonly command: string
  readonly args: readonly string[]
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly cwd?: string
}

/** Pid of the running process, or undefined when none runs (stale pid files are removed). */
export function runningPid(p: ManagedProcess): number | undefined {
  let pid: number
  try {
    pid = Number(fs.readFileSync(p.pidFile, 'utf8').trim())
  } catch {
    return undefined
  }
  if (Number.isInteger(pid) && pid > 0 && isOurs(pid, p.marker)) return pid
  fs.rmSync(p.pidFile, { force: true })
  return undefined
}

/** The pid in `p`'s pid file when that process is running and is `p`'s; the file is left as it is. */
export function peekPid(p: ManagedProcess): number | undefined {
  try {
    const pid = Number(fs.readFileSync(p.pidFile, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 && isOurs(pid, p.marker) ? pid : undefined
  } catch {
    return undefined
  }
}

function isOurs(pid: number, marker: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')')))
    return !zombie && cmdline.split('\0').join(' ').includes(marker)
  } catch {
    return false
  }
}

/** Starts the process detached, appending its output to the log file, and records its pid. */
export function startDetached(p: ManagedProcess, spec: StartSpec): number {
  fs.mkdirSync(path.dirname(p.pidFile), { recursive: true })
  fs.mkdirSync(path.dirname(p.logFile), { recursive: true })
  const out = fs.openSync(p.logFile, 'a')
  fs.writeSync(out, `\n===== ${new Date().toISOString()} start: ${spec.command} ${spec.args.join(' ')}\n`)
  const options: SpawnOptions = {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: spec.cwd,
    env: spec.env ? (Object.fromEntries(Object.entries(spec.env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv) : process.env,
  }
  const child = spawn(spec.command, [...spec.args], options)
  fs.closeSync(out)
  if (child.pid === undefined) {
    throw new WorkbenchError(ErrorCode.ServiceStartFailed, `could not start ${spec.command}: the process did not spawn`)
  }
  child.on('error', () => {}) // reported through the health check and the log instead
  child.unref()
  fs.writeFileSync(p.pidFile, `${child.pid}\n`)
  return child.pid
}

/** Stops the process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
export async function stopProcess(p: ManagedProcess, graceMs = 20_000): Promise<'stopped' | 'killed' | 'not-running'> {
  const pid = runningPid(p)
  if (pid === undefined) return 'not-running'
  signalGroup(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isOurs(pid, p.marker)) {
      fs.rmSync(p.pidFile, { force: true })
      return 'stopped'
    }
    await sleep(100)
  }
  signalGroup(pid, 'SIGKILL')
  while (isOurs(pid, p.marker)) await sleep(50)
  fs.rmSync(p.pidFile, { force: true })
  return 'killed'
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

/** True when something accepts TCP connections on host:port. */
export function portInUse(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (v: boolean): void => {
      socket.destroy()
      resolve(v)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** The last `lines` lines of a log file (empty when it does not exist). */
export function tailFile(file: string, lines = 20): string {
  try {
    const fd = fs.openSync(file, 'r')
    const size = fs.fstatSync(fd).size
    const len = Math.min(size, 64 * 1024)
    const buf = Buffer.alloc(len)
    fs.readSync(fd, buf, 0, len, size - len)
    fs.closeSync(fd)
    return buf.toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd()
  } catch {
    return ''
  }
}

/** Resident set size of a process in bytes, from /proc (undefined when unknown). */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/**
 * The process a worker was told to stop with (its K2_STOP_WITH_PID), when that process is gone:
 * such a worker is on its way out (it stops within a second or two, longer if a commit is in
 * flight) and must not be taken for a running one. Linux only (/proc); undefined elsewhere.
 */
export function departedOwner(pid: number): number | undefined {
  const owner = ownerPid(pid)
  if (owner === undefined) return undefined
  try {
    process.kill(owner, 0)
    return undefined
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? owner : undefined
  }
}

/** The process a worker stops with (its K2_STOP_WITH_PID, a notebook kernel); undefined when none. Linux only. */
export function ownerPid(pid: number): number | undefined {
  let environ: string
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1')
  } catch {
    return undefined
  }
  const owner = Number(/(?:^|\0)K2_STOP_WITH_PID=(\d+)/.exec(environ)?.[1] ?? 0)
  return owner > 0 ? owner : undefined
}
