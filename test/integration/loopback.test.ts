import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { stackConfig } from './helpers'

/**
 * Nothing on this stack has authentication (the catalog, MinIO's console, Kafka, the workers'
 * metrics, the API), so the README promises loopback only. This lists the sockets that the
 * running stack's processes listen on, from the kernel's table, and fails on any other address.
 */
const config = stackConfig()

/** Process ids of everything the stack manager started (services and workers), with their process groups. */
function stackProcesses(): Set<number> {
  const runDir = path.join(config.paths.state, 'run')
  const leaders = new Set(
    fs
      .readdirSync(runDir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(fs.readFileSync(path.join(runDir, f), 'utf8').trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 0),
  )
  const ps = spawnSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' })
  const out = new Set<number>(leaders)
  for (const line of ps.stdout.split('\n')) {
    const [pid, pgid] = line.trim().split(/\s+/).map(Number)
    // Each is started as its own process group: its children (a kernel, a JVM's helpers) listen too.
    if (pid && pgid && leaders.has(pgid)) out.add(pid)
  }
  return out
}

const isLoopback = (address: string): boolean => /^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$/.test(address)

describe('the running stack', () => {
  it('listens on loopback addresses only', () => {
    const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    if (ss.error) throw new Error(`ss (iproute2) is needed to list listening sockets: ${ss.error.message}`)
    const ours = stackProcesses()
    const listening = ss.stdout
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((line) => {
        const address = line.trim().split(/\s+/)[3]!
        const owners = [...line.matchAll(/\("([^"]+)",pid=(\d+)/g)].filter((m) => ours.has(Number(m[2])))
        return owners.length > 0 ? [{ address, process: `${owners[0]![1]} (pid ${owners[0]![2]})` }] : []
      })
    // The stack is up (the suite's setup starts it): Kafka, the catalog, MinIO, the registry, Prometheus, JupyterLab.
    expect(listening.length, ss.stdout).toBeGreaterThanOrEqual(6)
    expect(listening.filter((l) => !isLoopback(l.address))).toEqual([])
  })
})
