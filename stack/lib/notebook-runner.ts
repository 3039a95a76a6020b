import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { WorkbenchConfig } from '../../lib/internal'
import { jupyterEnv, jupyterVenv, writeKernelSpec } from '../services/jupyter'

/** What happened to one notebook run headless. */
export interface NotebookRun {
  readonly notebook: string
  /** The executed copy (outputs included). */
  readonly executed: string
  /** The HTML report, code included. */
  readonly html?: string
  /** The same report without code cells' inputs, for readers who want the story alone. */
  readonly noCodeHtml?: string
  readonly ok: boolean
  readonly elapsedSeconds: number
  /** Cells (0-based) that failed, with the error text tslab wrote to stderr. */
  readonly failures: ReadonlyArray<{ cell: number; status: string; message: string }>
  /** Code cells that never ran because an earlier one failed (tslab aborts them silently). */
  readonly notExecuted: readonly number[]
  readonly runnerError?: string
  /** The runner's own output, for a failure report. */
  readonly log: string
  /** Set when this is a second run: why the first failed (the kernel's transport) and how long it took. */
  readonly retried?: { readonly reason: string; readonly elapsedSeconds: number }
}

export interface RunNotebookOptions {
  readonly outDir: string
  /** Write the HTML report (default true) and, beside it, its form without code (default true). */
  readonly html?: boolean
  readonly noCodeHtml?: boolean
  /** Seconds one cell may take. */
  readonly cellTimeoutSeconds?: number
  /** Extra environment for the kernel (notebook parameters such as quick mode). */
  readonly env?: Readonly<Record<string, string>>
}

/**
 * Executes a notebook headless on the tslab kernel with stack/jupyter/run_notebook.py (nbclient),
 * which sees what nbconvert misses: tslab's error replies carry no message and the cells after
 * a failure are aborted without a trace. Needs the jupyter service provisioned (`stack up`).
 */
/**
 * A failure of the kernel's own transport, not of the notebook's code: tslab's zeromq sockets
 * refusing a message (EAGAIN, EBUSY) on a loaded machine, or its shell socket receiving a frame
 * that is no Jupyter message ("message missing delimiter": another kernel's heartbeat on a port
 * both were given), which tslab reports as the running cell's error. Pure.
 */
export function kernelTransportFailure(failures: ReadonlyArray<{ message: string }>): boolean {
  return failures.length > 0 && failures.every((f) => (/\b(EAGAIN|EBUSY)\b|message missing delimiter/.test(f.message) && /zeromq|tslab\/dist\/jupyter/.test(f.message)) || zeromqRefusal.test(f.message))
}

/** zeromq.js's own words for EAGAIN, as JupyterLab shows the rejection (without its stack). */
const zeromqRefusal = /^UnhandledPromiseRejection: \[Error: Operation was not possible or timed out\] \{\s*errno: 11,\s*code: 'EAGAIN'\s*\}\s*$/

/** Runs the notebook; once more, saying so, when the only failures were the kernel transport's. */
export async function runNotebook(config: WorkbenchConfig, notebook: string, options: RunNotebookOptions): Promise<NotebookRun> {
  const first = await runNotebookOnce(config, notebook, options)
  if (first.ok || !kernelTransportFailure(first.failures)) return first
  const again = await runNotebookOnce(config, notebook, options)
  const reason = `the kernel's transport failed in cell ${first.failures.map((f) => `${f.cell}: ${f.message.split('\n')[0]}`).join('; cell ')}`
  return { ...again, log: `${reason}: ran the notebook again\n${again.log}`, retried: { reason, elapsedSeconds: first.elapsedSeconds } }
}

/** The runner's command line (stack/jupyter/run_notebook.py and its options). Pure. */
export function runnerArgs(config: Pick<WorkbenchConfig, 'paths'>, notebook: string, options: RunNotebookOptions, reportFile: string): string[] {
  const args = [
    path.join(config.paths.root, 'stack', 'jupyter', 'run_notebook.py'),
    notebook,
    '--kernel=tslab',
    `--cwd=${config.paths.root}`,
    `--out-dir=${options.outDir}`,
    `--timeout=${options.cellTimeoutSeconds ?? 300}`,
    `--report=${reportFile}`,
  ]
  if (options.html === false) args.push('--no-html')
  else if (options.noCodeHtml !== false) args.push('--no-code-html')
  return args
}

/** Where the runner writes the reports of an executed copy: `<name>.html`, and `<name>-no-code.html` without code. */
export function reportPaths(executed: string): { readonly html: string; readonly noCodeHtml: string } {
  const base = executed.replace(/\.ipynb$/, '')
  return { html: `${base}.html`, noCodeHtml: `${base}-no-code.html` }
}

async function runNotebookOnce(config: WorkbenchConfig, notebook: string, options: RunNotebookOptions): Promise<NotebookRun> {
  writeKernelSpec(config)
  fs.mkdirSync(options.outDir, { recursive: true })
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'k2-nb-')), 'report.json')
  const args = runnerArgs(config, notebook, options, report)
  const python = path.join(jupyterVenv(config), 'bin', 'python')
  if (!fs.existsSync(python)) throw new Error(`${python} is missing: run \`npm run stack -- up jupyter\` first, which installs JupyterLab and the runner`)
  let log = ''
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(python, args, { cwd: config.paths.root, env: { ...jupyterEnv(config), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (d: Buffer) => (log += d.toString()))
    child.stderr.on('data', (d: Buffer) => (log += d.toString()))
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (!fs.existsSync(report)) throw new Error(`the notebook runner failed before running ${notebook} (exit ${code}):\n${log.slice(-2000)}`)
  const r = JSON.parse(fs.readFileSync(report, 'utf8')) as {
    executed: string
    exit_code: number
    elapsed_s: number
    runner_error: string | null
    not_executed: number[]
    failures: Array<{ cell: number; status: string; message: string }>
  }
  fs.rmSync(path.dirname(report), { recursive: true, force: true })
  const { html, noCodeHtml } = reportPaths(r.executed)
  return {
    notebook,
    executed: r.executed,
    html: fs.existsSync(html) ? html : undefined,
    noCodeHtml: fs.existsSync(noCodeHtml) ? noCodeHtml : undefined,
    ok: r.exit_code === 0,
    elapsedSeconds: r.elapsed_s,
    failures: r.failures,
    notExecuted: r.not_executed,
    runnerError: r.runner_error ?? undefined,
    log,
  }
}
