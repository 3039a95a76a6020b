import * as fs from 'node:fs'
import * as path from 'node:path'
import type { WorkbenchConfig } from '../../lib/internal'
import { runNotebook, type NotebookRun } from './notebook-runner'
import type { Reporter } from './provision'

/** Where `npm run notebooks` writes: executed copies beside the sources, reports under docs/. */
export const executedDir = (config: WorkbenchConfig): string => path.join(config.paths.root, 'notebooks', 'executed')
export const reportsDir = (config: WorkbenchConfig): string => path.join(config.paths.root, 'docs', 'reports')

/** The story and the other notebooks, in their order (files named NN-title.ipynb). */
export function listNotebooks(config: WorkbenchConfig, only: readonly string[] = []): string[] {
  const dir = path.join(config.paths.root, 'notebooks')
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.startsWith('00-'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => path.join(dir, f))
}

export interface NotebookReportOptions {
  readonly mode: 'quick' | 'full'
  /** Where the executed copies go (default notebooks/executed) and the HTML reports (docs/reports). */
  readonly executedDir?: string
  readonly reportsDir?: string
  /** Extra environment for the kernels (a test's own topic and table names). */
  readonly env?: Readonly<Record<string, string>>
}

/**
 * Executes notebooks one after another on the tslab kernel, headless, in the given mode, and
 * keeps the executed copy (outputs included, the demo backup) and its HTML report. A failed
 * notebook keeps its outputs too, so the report shows where it stopped.
 */
export async function executeNotebooks(config: WorkbenchConfig, notebooks: readonly string[], options: NotebookReportOptions, reporter: Reporter): Promise<NotebookRun[]> {
  const out = options.executedDir ?? executedDir(config)
  const reports = options.reportsDir ?? reportsDir(config)
  fs.mkdirSync(reports, { recursive: true })
  const runs: NotebookRun[] = []
  for (const nb of notebooks) {
    const name = path.basename(nb)
    reporter.line('notebooks', `running ${name} (${options.mode} mode) …`)
    const run = await runNotebook(config, nb, { outDir: out, cellTimeoutSeconds: options.mode === 'quick' ? 300 : 900, env: { ...options.env, K2_NOTEBOOK_MODE: options.mode, K2_NOTEBOOK_STRICT_HEALTH: '1' } })
    const moved = (file: string | undefined): string | undefined => {
      if (!file) return undefined
      const to = path.join(reports, path.basename(file))
      if (to !== file) fs.renameSync(file, to)
      return to
    }
    runs.push({ ...run, html: moved(run.html), noCodeHtml: moved(run.noCodeHtml) })
    // A second run is said, with why and what the first cost: the story's time is the sum.
    if (run.retried) reporter.line('notebooks', `${name}: ran twice; the first run (${run.retried.elapsedSeconds.toFixed(0)} s) failed: ${run.retried.reason.slice(0, 300)}`)
    reporter.line('notebooks', run.ok ? `${name}: ok in ${run.elapsedSeconds.toFixed(0)} s` : `${name}: FAILED after ${run.elapsedSeconds.toFixed(0)} s — ${describeFailure(run)}`)
  }
  return runs
}

/**
 * The PDFs of a run's report, one per form: `<name>.pdf` with the code, `<name>-no-code.pdf`
 * with the story alone (`npm run notebooks` and `npm run demo` print the story's). Pure.
 */
export function pdfTargets(run: Pick<NotebookRun, 'html' | 'noCodeHtml'>): Array<{ readonly html: string; readonly pdf: string }> {
  return [run.html, run.noCodeHtml].filter((f): f is string => f !== undefined).map((html) => ({ html, pdf: html.replace(/\.html$/, '.pdf') }))
}

/** What went wrong, in a line or a few: the failed cells with their text, cells never run. */
export function describeFailure(run: NotebookRun): string {
  // Node's own warnings (the AWS SDK's about Node 22) come first on stderr; the error follows them.
  const text = (message: string): string => message.replace(/\(node:\d+\) Warning:[\s\S]*?(?:\n\n|\(Use `node --trace-warnings[^\n]*\n)/g, '').trim()
  const parts = run.failures.map((f) => `cell ${f.cell} (${f.status}): ${text(f.message).split('\n').slice(0, 8).join(' | ')}`)
  if (run.notExecuted.length) parts.push(`cells never run: ${run.notExecuted.join(', ')}`)
  if (run.runnerError) parts.push(run.runnerError)
  return parts.join('; ') || 'no cell reported a failure; see the runner log'
}
