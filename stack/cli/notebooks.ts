/**
 * `npm run notebooks [-- --full] [name…]`: executes every notebook headless against the running
 * stack (starting what is missing: the servers and the workers), fails on any cell error —
 * including tslab's empty error replies and the cells it silently aborts — and writes the
 * executed copies (notebooks/executed/, the demo backup), HTML reports (docs/reports/), each
 * with the code and without it (`-no-code`, for readers who want the story alone), and the
 * story's PDF in both forms.
 */
import * as path from 'node:path'
import { errorMessage, loadConfig } from '../../lib/internal'
import { ensureChromium, htmlToPdf } from '../lib/browser'
import { consoleReporter, green, red, runCli, yellow } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { createStack } from '../lib/manager'
import { describeFailure, executeNotebooks, listNotebooks, pdfTargets } from '../lib/notebook-reports'
import { allServices, groupNames } from '../services/index'

runCli(async (initial, args) => {
  ensureCredentials(initial)
  const config = loadConfig(process.env)
  const mode = args.includes('--full') ? 'full' : 'quick'
  const notebooks = listNotebooks(config, args.filter((a) => !a.startsWith('--')))
  if (notebooks.length === 0) throw new Error(`no notebook matches ${args.join(' ')} in notebooks/`)
  const stack = createStack(config, allServices, consoleReporter)
  await stack.up(groupNames('infra'))
  // The workers the notebooks read from, started here so that they outlive each notebook's kernel.
  await stack.up(['replay-exchange', 'ingest', 'iceberg-sink', 'maintenance'])
  const runs = await executeNotebooks(config, notebooks, { mode }, consoleReporter)
  const failed = runs.filter((r) => !r.ok)
  // The story also as PDFs, with and without code (headless Chromium prints each HTML report, charts included).
  const story = runs.find((r) => path.basename(r.notebook).startsWith('01-') && r.ok && r.html)
  if (story) {
    try {
      const chromium = await ensureChromium(consoleReporter, config)
      for (const { html, pdf } of pdfTargets(story)) {
        const written = await htmlToPdf(chromium, html, pdf)
        consoleReporter.line('notebooks', `${path.relative(config.paths.root, pdf)}: ${written.pages} pages, ${Math.round(written.bytes / 1024)} KiB`)
      }
    } catch (err) {
      failed.push({ ...story, ok: false, runnerError: `the story's PDF was not written: ${errorMessage(err)}` })
      process.stdout.write(`${yellow('no PDF')}: ${errorMessage(err)}\n`)
    }
  }
  for (const r of runs) {
    const name = path.basename(r.notebook)
    const reports = [r.html, r.noCodeHtml].filter((f): f is string => f !== undefined).map((f) => path.relative(config.paths.root, f))
    process.stdout.write(r.ok ? `${green('✔')} ${name}  ${r.elapsedSeconds.toFixed(0)} s  ${path.relative(config.paths.root, r.executed)}  ${reports.join('  ')}\n` : `${red('✖')} ${name}: ${describeFailure(r)}\n`)
  }
  return failed.length === 0 ? 0 : 1
})
