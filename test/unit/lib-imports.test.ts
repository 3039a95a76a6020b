import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../lib/internal'

/**
 * tslab (the notebook kernel) loads lib's .ts files itself and resolves a relative import only
 * by adding ".js" to it: `./config` fails in a notebook where `./config/index` works. So inside
 * lib every relative import names a file.
 */
describe('lib imports load under tslab', () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))

  it('every relative import in lib/ names a file (.ts, or .cjs/.json with its extension), not a folder', () => {
    const bad: string[] = []
    for (const file of files(path.join(projectRoot, 'lib'))) {
      const source = fs.readFileSync(file, 'utf8')
      for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}(?:\/[^'"]*)?)['"]/g)) {
        const target = path.resolve(path.dirname(file), m[1]!)
        const namesFile = fs.existsSync(`${target}.ts`) || (/\.(cjs|json)$/.test(target) && fs.statSync(target, { throwIfNoEntry: false })?.isFile())
        if (!namesFile) bad.push(`${path.relative(projectRoot, file)}: '${m[1]}'`)
      }
    }
    expect(bad).toEqual([])
  })
})

/**
 * ESLint's import-x/no-cycle counts value imports only; a cycle through `import type` still ties
 * two files together (neither can move or be read alone), so lib/ has none of either kind.
 */
describe('lib has no import cycles', () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))

  /** Strongly connected components of more than one file (Tarjan). */
  function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
    let next = 0
    const index = new Map<string, number>()
    const low = new Map<string, number>()
    const stack: string[] = []
    const onStack = new Set<string>()
    const out: string[][] = []
    const visit = (v: string): void => {
      index.set(v, next)
      low.set(v, next++)
      stack.push(v)
      onStack.add(v)
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w)
          low.set(v, Math.min(low.get(v)!, low.get(w)!))
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = []
        for (let w = stack.pop()!; ; w = stack.pop()!) {
          onStack.delete(w)
          component.push(w)
          if (w === v) break
        }
        if (component.length > 1) out.push(component.sort())
      }
    }
    for (const v of graph.keys()) if (!index.has(v)) visit(v)
    return out
  }

  it('finds a cycle when there is one (the check itself)', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']])
  })

  it('has none, type-only imports included', () => {
    const graph = new Map<string, string[]>()
    for (const file of files(path.join(projectRoot, 'lib'))) {
      const source = fs.readFileSync(file, 'utf8')
      const targets = [...source.matchAll(/^(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]*)['"]/gm)]
        .map((m) => path.resolve(path.dirname(file), m[1]!))
        .map((t) => (fs.existsSync(`${t}.ts`) ? `${t}.ts` : t))
        .filter((t) => t.endsWith('.ts'))
      graph.set(file, targets)
    }
    expect(cycles(graph).map((c) => c.map((f) => path.relative(projectRoot, f)))).toEqual([])
  })
})

describe('lib/internal', () => {
  it('exports every module of lib/ (the internal surface tests import), one line each in path order', () => {
    const modules = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(path.join(dir, e.name)) : e.name.endsWith('.ts') && e.name !== 'index.ts' ? [path.join(dir, e.name)] : []))
    const lib = path.join(projectRoot, 'lib')
    const expected = modules(lib)
      .map((f) => path.relative(lib, f).replace(/\.ts$/, ''))
      .filter((m) => m.includes('/'))
      .sort()
      .map((m) => `export * from './${m}'`)
    const lines = fs.readFileSync(path.join(lib, 'internal.ts'), 'utf8').split('\n').filter((l) => l.startsWith('export * from'))
    expect(lines).toEqual(expected)
  })

  it('starts nothing when loaded: a process that only imports lib/internal exits on its own', async () => {
    // A module with top-level effects (a server, a timer) would keep the process alive; the
    // timeout turns that into a failure naming it rather than a hung suite.
    const exit = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', '--eval', "require('./lib/internal')"], { cwd: projectRoot, timeout: 60_000 }, (err, _stdout, stderr) => {
        resolve({ code: err ? (child.exitCode ?? -1) : 0, stderr })
      })
    })
    expect(exit).toEqual({ code: 0, stderr: '' })
  }, 90_000)
})
