import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(__dirname, '../../..')

/** Runs lowerPriority in a child node process; answers the niceness of each of its threads afterwards. */
function nicenessAfter(nice: number): number[] {
  const script = `(async () => {
    const { lowerPriority } = require(${JSON.stringify(path.join(root, 'pipelines', 'priority.ts'))})
    const { Worker } = require('node:worker_threads')
    const fs = require('node:fs')
    const lines = []
    lowerPriority(${nice}, { info: (m) => lines.push(m), warn: (m) => lines.push(m) }, 'test')
    // A thread made afterwards takes the lowered niceness too.
    const w = new Worker('setTimeout(() => {}, 200)', { eval: true })
    await new Promise((r) => w.once('online', r))
    const nices = fs.readdirSync('/proc/self/task').map((t) => Number(fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]))
    await w.terminate()
    console.log(JSON.stringify({ nices, lines }))
  })()`
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' })
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { nices: number[] }).nices
}

describe.skipIf(!fs.existsSync('/proc/self/task'))('lowerPriority', () => {
  it('lowers every thread of the worker, and the threads it starts later', () => {
    const nices = nicenessAfter(7)
    expect(nices.length).toBeGreaterThan(3)
    expect(nices.every((n) => n >= 7)).toBe(true)
  })
  it('leaves the process alone at 0', () => {
    expect(nicenessAfter(0).some((n) => n < 7)).toBe(true)
  })
})
