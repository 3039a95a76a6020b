/**
 * `npm run check:notebooks` (part of `npm run check`): extracts every notebook's code cells into
 * dist/notebook-check/<name>.ts as tslab runs them, then type-checks them with tsc and lints them
 * with eslint (an `any` fails, as everywhere else); a cell line over 160 characters fails too.
 * Needs no stack.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { projectRoot } from '../../lib/internal'
import { extractNotebook, longLineProblems, notebookCheckTsconfig, type NotebookCellSource } from '../lib/notebook-check'

/** Git-ignored (dist/), and two levels down like any folder the check's relative imports are rebased to. */
const moduleDir = 'dist/notebook-check'

function main(): number {
  const out = path.join(projectRoot, moduleDir)
  fs.rmSync(out, { recursive: true, force: true })
  fs.mkdirSync(out, { recursive: true })
  const notebooks = fs.readdirSync(path.join(projectRoot, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort()
  const problems: string[] = []
  for (const name of notebooks) {
    const file = `notebooks/${name}`
    const { cells } = JSON.parse(fs.readFileSync(path.join(projectRoot, file), 'utf8')) as { cells: NotebookCellSource[] }
    const extracted = extractNotebook(file, cells, moduleDir)
    fs.writeFileSync(path.join(out, extracted.fileName), extracted.text)
    problems.push(...longLineProblems(file, extracted))
  }
  fs.writeFileSync(path.join(out, 'tsconfig.json'), notebookCheckTsconfig(moduleDir))
  process.stdout.write(`notebook check: ${notebooks.length} notebooks extracted to ${moduleDir}/\n`)
  const run = (what: string, args: string[]): boolean => {
    const r = spawnSync(process.execPath, args, { cwd: projectRoot, stdio: 'inherit' })
    if (r.status !== 0) problems.push(`${what} failed on the notebooks' cells (the files in ${moduleDir}/ name each cell)`)
    return r.status === 0
  }
  run('tsc', [path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(moduleDir, 'tsconfig.json')])
  // The extracted files sit under dist/, which the project's lint skips: lint them explicitly.
  run('eslint', [path.join(projectRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--no-ignore', '--max-warnings', '0', moduleDir])
  for (const p of problems) process.stderr.write(`✖ ${p}\n`)
  if (problems.length === 0) process.stdout.write('notebook check: the cells type-check and lint clean, no line over 160 characters\n')
  return problems.length === 0 ? 0 : 1
}

process.exit(main())
