/**
 * `npm run demo`: the main job on a fresh machine. Installs what is missing, brings the stack up,
 * starts the workers in the background (replay exchange, ingest, sink, maintenance, API), executes
 * the story notebook against the live data with its HTML and PDF reports (each with the code and
 * without it), and leaves JupyterLab running with the notebooks, printing the address.
 * `npm run demo -- --stop` stops everything (data is kept).
 */
import * as path from 'node:path'
import { errorMessage, loadConfig } from '../../lib/internal'
import { ensureChromium, htmlToPdf } from '../lib/browser'
import { bold, consoleReporter, dim, formatStatus, green, red, runCli, yellow } from '../lib/cli'
import { ensureCredentials } from '../lib/credentials'
import { runChecks } from '../lib/doctor'
import { createStack } from '../lib/manager'
import { describeFailure, executeNotebooks, listNotebooks, pdfTargets } from '../lib/notebook-reports'
import { allServices, groupNames } from '../services/index'

runCli(async (initial, args) => {
  if (args.includes('--stop')) {
    const stack = createStack(initial, allServices, consoleReporter)
    await stack.down(groupNames('pipeline'))
    await stack.down([...groupNames('optional'), ...groupNames('infra')])
    process.stdout.write('K2 stack stopped; data is kept in the state folder.\n')
    return 0
  }
  ensureCredentials(initial)
  const config = loadConfig(process.env)
  const stack = createStack(config, allServices, consoleReporter)
  // The servers, then the workers: replay exchange → ingest → Kafka → sink → lake, and the API.
  await stack.up(groupNames('infra'))
  await stack.up(groupNames('pipeline'))
  const checks = await runChecks(config, stack)
  const redLines = checks.filter((c) => !c.ok)

  // The story, executed against the live data; its copy and reports go to the state folder (the
  // committed demo backups in notebooks/executed are `npm run notebooks`' to write).
  const reports = config.paths.demoReports
  const [story] = listNotebooks(config, ['01-'])
  const [run] = await executeNotebooks(config, [story!], { mode: config.notebook.mode, executedDir: reports, reportsDir: reports }, consoleReporter)
  // The story's PDF with the code and without it (the story alone).
  const pdfs: string[] = []
  if (run!.ok && run!.html) {
    try {
      const chromium = await ensureChromium(consoleReporter, config)
      for (const { html, pdf } of pdfTargets(run!)) {
        const written = await htmlToPdf(chromium, html, pdf)
        pdfs.push(pdf)
        consoleReporter.line('notebooks', `story PDF ${path.basename(pdf)}: ${written.pages} pages`)
      }
    } catch (err) {
      consoleReporter.line('notebooks', `${yellow('no PDF')}: ${errorMessage(err)}`)
    }
  }

  process.stdout.write(`\n${bold('K2 workbench')}\n${formatStatus(await stack.status())}\n\n`)
  for (const c of redLines) process.stdout.write(`${red('✖')} ${c.name}: ${c.detail}\n  fix: ${c.fix}\n`)
  const rel = (f: string): string => path.relative(process.cwd(), f)
  process.stdout.write(
    [
      run!.ok ? `${green('story')}       executed in ${run!.elapsedSeconds.toFixed(0)} s (${config.notebook.mode} mode): ${[run!.html ?? run!.executed, ...(run!.noCodeHtml ? [run!.noCodeHtml] : []), ...pdfs].map(rel).join(', ')}` : `${red('story failed')}: ${describeFailure(run!)}`,
      `${green('JupyterLab')}  ${config.jupyter.url}/lab/tree/01-ten-minute-story.ipynb?token=${config.jupyter.token}`,
      `${dim('Prometheus')}  ${config.prometheus.url}`,
      `${dim('HTTP API')}    http://${config.host}:${config.api.port}/v1/trades/recent?symbol=${config.notebook.symbol}`,
      `${dim('MinIO console')} http://${config.host}:${config.s3.consolePort}  (user ${config.s3.accessKeyId}; secret in ${config.paths.state}/credentials.env)`,
      '',
      `npm run pipelines -- status   the workers (logs: npm run pipelines -- logs ingest)`,
      `npm run doctor        checks everything the story needs`,
      `npm run demo -- --stop  stops everything (data is kept)`,
      '',
    ].join('\n'),
  )
  return redLines.length === 0 && run!.ok ? 0 : 1
})
