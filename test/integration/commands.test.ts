import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../lib'
import { stackConfig } from './helpers'

function run(script: string, args: string[] = []): { status: number | null; out: string } {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const r = spawnSync(process.execPath, [tsx, path.join(projectRoot, 'stack', 'cli', script), ...args], {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('the presenter commands on the running stack', () => {
  it('npm run doctor is all green, one line per service and for the kernel', () => {
    const r = run('doctor.ts')
    expect(r.out).toContain('all green')
    for (const name of ['minio', 'iceberg-rest', 'kafka', 'schema-registry', 'prometheus', 'jupyter', 'tslab kernel']) {
      expect(r.out).toMatch(new RegExp(`✔ \\w+ +${name} `))
    }
    expect(r.status).toBe(0)
  })

  it('npm run stack -- status prints up, address and version for every service', () => {
    const r = run('stack.ts', ['status'])
    expect(r.status).toBe(0)
    const lines = r.out.trim().split('\n').filter((l) => /^\S/.test(l))
    expect(lines).toHaveLength(6)
    expect(lines.find((l) => l.startsWith('kafka'))).toMatch(/● up +127\.0\.0\.1:\d+ +Apache Kafka \(KRaft\) 4\.3\.1/)
  })

  it('npm run demo leaves the user with a working JupyterLab address', async () => {
    const r = run('demo.ts')
    expect(r.status).toBe(0)
    const url = /JupyterLab +(http:\/\/\S+\/lab\?token=\S+)/.exec(r.out)?.[1]
    expect(url).toBeDefined()
    const res = await fetch(url!.replace('/lab?', '/api/status?'))
    expect(res.status).toBe(200)
    expect(url).toContain(stackConfig().jupyter.token!)
  })
})
