import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { expect, it } from 'vitest'
import { projectRoot } from '../../../lib/internal'

it('forwards SIGTERM from the npm wrapper to the command it runs, which stops cleanly, and exits with its code', async () => {
  const wrapper = spawn(process.execPath, [path.join(projectRoot, 'stack', 'bootstrap.cjs'), 'test/fixtures/signals/wait-for-stop.ts'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  wrapper.stdout.on('data', (d: Buffer) => (out += d.toString()))
  wrapper.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => wrapper.once('exit', (code, signal) => r({ code, signal })))
  const commandPid = await new Promise<number>((resolve, reject) => {
    const check = (): void => {
      const m = /ready (\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    }
    wrapper.stdout.on('data', check)
    void exited.then(() => reject(new Error(`the wrapper exited before its command was ready: ${out}`)))
  })
  try {
    wrapper.kill('SIGTERM')
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(out).toContain('stopping cleanly')
  } finally {
    try {
      process.kill(commandPid, 'SIGKILL') // left running only when the wrapper did not forward
    } catch {
      // gone, as it should be
    }
  }
}, 60_000)
