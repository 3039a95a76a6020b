import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../../lib/internal'

/** Runs `npm run stack -- <args>` the way a user does, in a state folder of its own. */
function stackCli(args: string[], env: Record<string, string>): { status: number | null; out: string } {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const r = spawnSync(process.execPath, [tsx, path.join(projectRoot, 'stack', 'cli', 'stack.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

const noStackTrace = /^\s+at .+\(.+:\d+:\d+\)$/m

describe('a failing service start prints the reason, not a stack trace', () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-stack-errors-'))
  afterAll(() => fs.rmSync(state, { recursive: true, force: true }))

  it('names the taken port and the variable that moves it', async () => {
    const blocker = net.createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const r = stackCli(['up', 'prometheus'], { K2_STATE_DIR: state, K2_PROMETHEUS_PORT: String(port) })
      expect(r.status).toBe(1)
      expect(r.out).toContain(`prometheus: port ${port} on 127.0.0.1 is taken by another program`)
      expect(r.out).toContain('K2_PORT_OFFSET=1000')
      expect(r.out).not.toMatch(noStackTrace)
    } finally {
      blocker.close()
    }
  })

  it('names the missing tool, what needs it and how to install it', () => {
    const r = stackCli(['up', 'kafka'], { K2_STATE_DIR: state, PATH: path.join(state, 'empty-path') })
    expect(r.status).toBe(1)
    expect(r.out).toContain('kafka needs java (Kafka runs on the JVM), which is not on PATH. Fix: apt-get install openjdk-17-jre-headless')
    expect(r.out).toContain('kafka needs mvn')
    expect(r.out).not.toMatch(noStackTrace)
  })

  it('rejects a bad configuration value before doing anything', () => {
    const r = stackCli(['status'], { K2_STATE_DIR: state, K2_KAFKA_PORT: 'ninety' })
    expect(r.status).toBe(1)
    expect(r.out).toContain('K2_KAFKA_PORT="ninety" is not a TCP port')
    expect(r.out).not.toMatch(noStackTrace)
  })
})
