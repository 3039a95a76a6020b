import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { processWorkDir } from '../../../lib/internal'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-workdir-test-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('processWorkDir', () => {
  it("creates this process's folder and removes only the folders of processes that are gone", () => {
    // A pid that surely ended: a child that ran and exited.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!
    for (const name of [String(gone), String(process.ppid), 'notes']) fs.mkdirSync(path.join(root, name, 'sub'), { recursive: true })
    fs.writeFileSync(path.join(root, String(gone), 'sub', 'in-0.parquet'), 'left by a killed worker')
    const dir = processWorkDir(root)
    expect(dir).toBe(path.join(root, String(process.pid)))
    expect(fs.existsSync(dir)).toBe(true)
    expect(fs.readdirSync(root).sort()).toEqual([String(process.pid), String(process.ppid), 'notes'].sort())
  })
})
