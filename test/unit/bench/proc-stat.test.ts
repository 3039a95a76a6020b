import { describe, expect, it } from 'vitest'
import { parseProcStat, processTree, treeUsage, type ProcStat } from '../../../bench/soak/proc-stat'

// A real /proc/<pid>/stat line of a JVM (fields 1-24 as proc(5) numbers them, then the rest).
const java = '11801 (java) S 1 11801 11801 0 -1 4194560 52310 0 12 0 1404 287 0 0 20 0 41 0 2410 2954368000 47326 18446744073709551615 1 1 0 0 0 0 0 4096 16897 0 0 0 17 1 0 0 0 0 0'

const stat = (pid: number, ppid: number, cpuTicks: number, startTicks = 100, rssPages = 10): ProcStat => ({ pid, comm: `p${pid}`, ppid, cpuTicks, startTicks, rssPages })
const table = (...xs: ProcStat[]): Map<number, ProcStat> => new Map(xs.map((x) => [x.pid, x]))
const clock = { ticksPerSecond: 100, pageBytes: 4096 }

describe('parseProcStat', () => {
  it('reads pid, parent, utime + stime, start time and RSS from a stat line', () => {
    expect(parseProcStat(java)).toEqual({ pid: 11801, comm: 'java', ppid: 1, cpuTicks: 1404 + 287, startTicks: 2410, rssPages: 47326 })
  })

  it('counts fields from the last parenthesis, so a command name with spaces and ")" does not shift them', () => {
    const odd = java.replace('(java)', '(tsx (watch) x)')
    expect(parseProcStat(odd)).toMatchObject({ comm: 'tsx (watch) x', ppid: 1, cpuTicks: 1691, rssPages: 47326 })
  })

  it('rejects a truncated line instead of reading garbage', () => {
    expect(parseProcStat('12 (node) S 1 12')).toBeUndefined()
    expect(parseProcStat('')).toBeUndefined()
  })
})

describe('processTree and treeUsage', () => {
  it('counts a service with its descendants but not another tracked service started under it', () => {
    // bench(1) started kafka(2), which runs a helper(3); and the kernel driver(4) with its kernel(5).
    const t = table(stat(1, 0, 0), stat(2, 1, 0), stat(3, 2, 0), stat(4, 1, 0), stat(5, 4, 0))
    expect(processTree(t, 1, new Set([1, 2, 4])).sort()).toEqual([1])
    expect(processTree(t, 2, new Set([1, 2, 4])).sort()).toEqual([2, 3])
    expect(processTree(t, 4, new Set([1, 2, 4])).sort()).toEqual([4, 5])
  })

  it('gives the share of one core between two readings, over the whole tree', () => {
    const before = table(stat(2, 1, 1000), stat(3, 2, 500))
    const after = table(stat(2, 1, 1400), stat(3, 2, 600)) // 500 ticks in 5 s at 100 ticks/s = 1 core
    const u = treeUsage(before, after, 2, 5, clock)
    expect(u.coreShare).toBeCloseTo(1.0)
    expect(u.rssBytes).toBe(20 * 4096)
  })

  it('counts a child born between the readings in full, and a recycled pid as new', () => {
    const before = table(stat(2, 1, 1000), stat(3, 2, 900, 50))
    const after = table(stat(2, 1, 1000), stat(3, 2, 40, 9999), stat(6, 2, 60)) // pid 3 is another process now
    expect(treeUsage(before, after, 2, 1, clock).coreShare).toBeCloseTo(1.0)
  })

  it('has no share without an earlier reading of the root (a worker that just started)', () => {
    expect(treeUsage(undefined, table(stat(2, 1, 1000)), 2, 5, clock).coreShare).toBeUndefined()
    expect(treeUsage(table(stat(2, 1, 10, 1)), table(stat(2, 1, 1000, 2)), 2, 5, clock).coreShare).toBeUndefined()
  })

  it('is empty for a root that is gone', () => {
    expect(treeUsage(table(stat(2, 1, 10)), table(), 2, 5, clock)).toEqual({ coreShare: undefined, rssBytes: 0, pids: 0 })
  })
})
