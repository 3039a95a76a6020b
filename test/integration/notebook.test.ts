import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runNotebook } from '../../stack/lib/notebook-runner'
import { stackConfig } from './helpers'

interface Cell {
  cell_type: string
  source: string | string[]
  outputs?: Array<{ output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }>
}
const text = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''))
const outputsOf = (cell: Cell): string =>
  (cell.outputs ?? []).map((o) => text(o.text) + Object.values(o.data ?? {}).map((d) => text(d as string | string[])).join('')).join('')

describe('notebooks on the tslab kernel', () => {
  const config = stackConfig()
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-nb-test-'))
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }))

  it('imports lib in a cell and shows its config, an HTML table and a coded error', async () => {
    const run = await runNotebook(config, path.join(config.paths.root, 'notebooks', '00-hello-lib.ipynb'), { outDir: out })
    expect(run.failures, run.log).toEqual([])
    expect(run.ok).toBe(true)
    const cells = (JSON.parse(fs.readFileSync(run.executed, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code')
    expect(outputsOf(cells[1]!)).toContain(`brokers: ${config.kafka.brokers.join(',')}`)
    expect(outputsOf(cells[2]!)).toContain('<code>K2_HOST</code>')
    expect(outputsOf(cells[3]!)).toContain('refused: - K2_KAFKA_PORT="not-a-port" is not a TCP port')
    expect(fs.readFileSync(run.html!, 'utf8')).toContain('K2_KAFKA_PORT')
  })

  it('reports a failing cell with its error text, and the cells it kept from running', async () => {
    const nb = {
      cells: [
        { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: 'console.log("first")' },
        { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: 'throw new Error("boom in the second cell")' },
        { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: 'console.log("never")' },
      ],
      metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }
    const file = path.join(out, 'failing.ipynb')
    fs.writeFileSync(file, JSON.stringify(nb))
    const run = await runNotebook(config, file, { outDir: path.join(out, 'executed'), html: false })
    expect(run.ok).toBe(false)
    expect(run.failures.map((f) => f.cell)).toEqual([1])
    expect(run.failures[0]!.message).toContain('boom in the second cell')
    expect(run.notExecuted).toEqual([2])
  })

  it('fails on a type error, which tslab reports only on stderr', async () => {
    const nb = {
      cells: [{ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: 'const n: number = "text"' }],
      metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }
    const file = path.join(out, 'type-error.ipynb')
    fs.writeFileSync(file, JSON.stringify(nb))
    const run = await runNotebook(config, file, { outDir: path.join(out, 'executed'), html: false })
    expect(run.ok).toBe(false)
    expect(run.failures[0]?.message).toMatch(/not assignable to type 'number'/)
  })

  it('keeps running when a file changes beside the library while the kernel lives (tslab would fail the next cell)', async () => {
    const touched = path.join('stack', 'lib', `_k2-test-touch-${process.pid}.ts`)
    const nb = {
      cells: [
        'import { lineChart } from "./lib/internal";\nimport { connectWorkbench } from "./stack/notebook";',
        `import * as fs from "fs";\nfs.writeFileSync(${JSON.stringify(touched)}, "export const x = 1\\n");\nawait new Promise((r) => setTimeout(r, 3000));\nfs.rmSync(${JSON.stringify(touched)});\nawait new Promise((r) => setTimeout(r, 3000));`,
        'console.log("the next cell ran");',
      ].map((source) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source })),
      metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    }
    const file = path.join(out, 'watch.ipynb')
    fs.writeFileSync(file, JSON.stringify(nb))
    try {
      const run = await runNotebook(config, file, { outDir: path.join(out, 'executed'), html: false })
      expect(run.failures, run.log).toEqual([])
      expect(outputsOf(JSON.parse(fs.readFileSync(run.executed, 'utf8')).cells[2])).toContain('the next cell ran')
    } finally {
      fs.rmSync(path.join(config.paths.root, touched), { force: true })
    }
  })
})
