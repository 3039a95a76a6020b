/**
 * CPU and memory per process from /proc, as `top` would count them but per process tree: a
 * service is its pid plus every descendant (a shell wrapper, a kernel launched by a driver), and
 * its share of one core is the CPU time it used over the wall time between two readings.
 * Parsing and arithmetic are pure; `readProcessTable` is the one function that reads /proc.
 */
import * as fs from 'node:fs'
import { execFileSync } from 'node:child_process'

/** One line of /proc/<pid>/stat, the fields the soak uses. */
export interface ProcStat {
  readonly pid: number
  readonly comm: string
  readonly ppid: number
  /** utime + stime, in clock ticks (`getconf CLK_TCK`). */
  readonly cpuTicks: number
  /** Start time after boot, in clock ticks: with the pid it names one process, not a recycled pid. */
  readonly startTicks: number
  readonly rssPages: number
}

/**
 * Parses /proc/<pid>/stat (proc(5)). The command name is in parentheses and may itself hold
 * spaces and parentheses, so fields are counted from the last `)`. Undefined for anything else.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const pid = Number(text.slice(0, open).trim())
  // After ")": state(3) ppid(4) … utime(14) stime(15) … starttime(22) vsize(23) rss(24).
  const rest = text.slice(close + 1).trim().split(/\s+/)
  const field = (n: number): number => Number(rest[n - 3])
  const values = [field(4), field(14), field(15), field(22), field(24)]
  if (!Number.isInteger(pid) || values.some((v) => !Number.isFinite(v))) return undefined
  return { pid, comm: text.slice(open + 1, close), ppid: field(4), cpuTicks: field(14) + field(15), startTicks: field(22), rssPages: field(24) }
}

/** Every process's stat at one moment, by pid. */
export type ProcessTable = ReadonlyMap<number, ProcStat>

/** The pids of `root` and its descendants, leaving out the subtrees of `exclude` (other tracked roots). */
export function processTree(table: ProcessTable, root: number, exclude: ReadonlySet<number> = new Set()): number[] {
  if (!table.has(root)) return []
  const children = new Map<number, number[]>()
  for (const p of table.values()) {
    const list = children.get(p.ppid)
    if (list) list.push(p.pid)
    else children.set(p.ppid, [p.pid])
  }
  const seen = new Set<number>([root])
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop()!
    for (const c of children.get(pid) ?? []) {
      if (exclude.has(c) || seen.has(c)) continue
      seen.add(c)
      stack.push(c)
    }
  }
  return [...seen]
}

/** What one tracked process tree used between two readings. */
export interface TreeUsage {
  /** CPU time over wall time, as a share of one core (1.0 = one core busy); undefined without an earlier reading of the root. */
  readonly coreShare: number | undefined
  readonly rssBytes: number
  readonly pids: number
}

/**
 * Usage of the tree under `root` between `before` and `after`, `seconds` apart. A process in
 * both readings (same pid and start time) counts its difference; one that appeared in between
 * counts all its CPU time, which it spent in the interval; one that ended is not seen after.
 */
export function treeUsage(before: ProcessTable | undefined, after: ProcessTable, root: number, seconds: number, clock: { ticksPerSecond: number; pageBytes: number }, exclude: ReadonlySet<number> = new Set()): TreeUsage {
  const pids = processTree(after, root, exclude)
  let rssPages = 0
  let ticks = 0
  for (const pid of pids) {
    const now = after.get(pid)!
    rssPages += now.rssPages
    const then = before?.get(pid)
    ticks += then && then.startTicks === now.startTicks ? Math.max(0, now.cpuTicks - then.cpuTicks) : now.cpuTicks
  }
  const rootThen = before?.get(root)
  const known = rootThen !== undefined && rootThen.startTicks === after.get(root)?.startTicks && seconds > 0
  return { coreShare: known && pids.length > 0 ? ticks / clock.ticksPerSecond / seconds : undefined, rssBytes: rssPages * clock.pageBytes, pids: pids.length }
}

/** Reads /proc/*\/stat for every process now (processes that end while it reads are skipped). */
export function readProcessTable(procDir = '/proc'): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>()
  for (const name of fs.readdirSync(procDir)) {
    if (!/^\d+$/.test(name)) continue
    try {
      const s = parseProcStat(fs.readFileSync(`${procDir}/${name}/stat`, 'utf8'))
      if (s) out.set(s.pid, s)
    } catch {
      // gone between readdir and read
    }
  }
  return out
}

/** This machine's clock ticks per second and page size (getconf; Linux defaults when it fails). */
export function procClock(): { ticksPerSecond: number; pageBytes: number } {
  const get = (name: string, fallback: number): number => {
    try {
      const v = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim())
      return v > 0 ? v : fallback
    } catch {
      return fallback
    }
  }
  return { ticksPerSecond: get('CLK_TCK', 100), pageBytes: get('PAGESIZE', 4096) }
}
