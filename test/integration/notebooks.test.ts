import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consoleReporter } from '../../stack/lib/cli'
import { createStack } from '../../stack/lib/manager'
import { describeFailure, executeNotebooks, listNotebooks } from '../../stack/lib/notebook-reports'
import type { NotebookRun } from '../../stack/lib/notebook-runner'
import { allServices, groupNames } from '../../stack/services/index'
import { dropTopics, eventually, freePort, uniqueName } from './helpers'
import { createLakeTestContext, dropLake } from './lake-helpers'
import { loadConfig, resumeFilePath } from '../../lib/internal'

interface Output {
  output_type: string
  name?: string
  text?: string | string[]
  data?: Record<string, unknown>
}
interface Cell {
  cell_type: string
  source: string | string[]
  outputs?: Output[]
}
const text = (v: unknown): string => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '')
const cellsOf = (file: string): Cell[] => (JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: Cell[] }).cells.filter((c) => c.cell_type === 'code')
const outputText = (cells: Cell[]): string => cells.flatMap((c) => c.outputs ?? []).map((o) => text(o.text) + text(o.data?.['text/plain']) + text(o.data?.['text/html'])).join('\n')
const charts = (cells: Cell[]): Output[] => cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data?.['image/svg+xml'] !== undefined)

/**
 * Every notebook, headless in quick mode, on the tslab kernel, as `npm run notebooks` runs them —
 * but on the test's own topics, tables and consumer group. The notebooks start the workers they
 * need from their cells; those belong to the kernel and must stop when it is gone.
 */
describe('the notebooks, executed headless in quick mode', () => {
  const lake = createLakeTestContext('notebooks')
  /** The test's config: the stack's services, the test's own worker ports (set in beforeAll). */
  let config = lake.config
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-notebooks-'))
  const topics = { trades: uniqueName('nb-trades'), quotes: uniqueName('nb-quotes'), dead: uniqueName('nb-dead') }
  // A market of its own: the replay exchange resumes from a file keyed by seed and port (D33), and
  // this run must not advance the main stack's market (its lake would show the trades this test
  // consumed as a gap of ids) nor continue it.
  const replaySeed = String(100_000 + Math.floor(Math.random() * 1_000_000_000))
  const env: Record<string, string> = {
    K2_REPLAY_SEED: replaySeed,
    K2_TOPIC_TRADES: topics.trades,
    K2_TOPIC_QUOTES: topics.quotes,
    K2_TOPIC_DEAD_LETTER: topics.dead,
    K2_SINK_NAMESPACE: lake.namespace,
    K2_SINK_GROUP: uniqueName('nb-sink'),
    // Commits every 10 s instead of 30, so the story's storage section has snapshots sooner.
    K2_SINK_MAX_AGE_MS: '10000',
  }
  let stack = createStack(config, allServices, consoleReporter)
  const runs = new Map<string, NotebookRun>()

  beforeAll(async () => {
    // The workers the notebooks start are this test's own instances, on ports of their own: the
    // user's demo workers, if they run, are neither read nor stopped (their pid files, logs and
    // scrape targets go by name and port).
    for (const key of ['K2_REPLAY_PORT', 'K2_INGEST_METRICS_PORT', 'K2_SINK_METRICS_PORT', 'K2_MAINTENANCE_METRICS_PORT', 'K2_API_PORT']) env[key] = String(await freePort())
    config = loadConfig({ ...process.env, ...env })
    stack = createStack(config, allServices, consoleReporter)
    // One replay exchange for the whole run, as `npm run notebooks` has. The stack passes its
    // environment to what it starts.
    const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    Object.assign(process.env, env)
    try {
      await stack.up(['replay-exchange'])
    } finally {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
    // The test's names reach the kernel, and through it the workers the notebooks start.
    for (const nb of listNotebooks(config)) {
      const [run] = await executeNotebooks(config, [nb], { mode: 'quick', executedDir: out, reportsDir: out, env }, consoleReporter)
      runs.set(path.basename(nb, '.ipynb'), run!)
    }
  }, 1_800_000)

  afterAll(async () => {
    await stack.down(groupNames('pipeline')).catch(() => undefined)
    const t = [topics.trades, topics.quotes, topics.dead, `${topics.trades}.checkpoint`, `${topics.trades}.deferred`, `${topics.quotes}.deferred`]
    await dropTopics(lake.kafka, t, lake.registry)
    await dropLake(lake.catalog, lake.namespace, ['trades', 'quotes'])
    lake.io.close()
    fs.rmSync(out, { recursive: true, force: true })
    fs.rmSync(resumeFilePath(config.paths.state, Number(replaySeed), config.replay.port), { force: true })
  }, 180_000)

  const run = (name: string): NotebookRun => {
    const r = runs.get(name)
    if (!r) throw new Error(`${name} did not run`)
    expect(r.ok, describeFailure(r)).toBe(true)
    return r
  }

  it('runs the ten-minute story on live data: every chart with its static fallback, in the HTML report too', () => {
    const r = run('01-ten-minute-story')
    const cells = cellsOf(r.executed)
    const drawn = charts(cells)
    expect(drawn.length).toBeGreaterThanOrEqual(9)
    for (const c of drawn) expect(Object.keys(c.data!)).toEqual(expect.arrayContaining(['application/vnd.vegalite.v5+json', 'image/svg+xml']))
    const html = fs.readFileSync(r.html!, 'utf8')
    expect((html.match(/src="data:image\/svg\+xml;base64,/g) ?? []).length).toBe(drawn.length)
    const said = outputText(cells)
    // Live ingestion reached Kafka, the lake and the query engine under the test's own names.
    expect(said).toContain(topics.trades)
    expect(said).toMatch(/trades: [1-9]\d*\/s/)
    expect(said).toContain('every invariant held')
    // Healthy at nominal load: every worker up, lake lag within target, levels NORMAL (the cell throws otherwise).
    expect(said).toContain('the stack is healthy')
    expect(said).toContain(`of ${lake.namespace}.trades`) // the hybrid boundary names the test's table
    // The gap report over the lake + tail boundary: no id missing or doubled.
    expect(said).toMatch(new RegExp(`${config.notebook.symbol}\\s+\\d+\\s+\\d+\\s+\\d+\\s+0\\s+0\\n`))
    process.stdout.write(`story: ${r.elapsedSeconds.toFixed(0)} s in quick mode\n`)
  })

  it('explores trades: candlesticks through plotly with a fallback, spreads, tiers, time travel and gaps', () => {
    const cells = cellsOf(run('02-explore-trades').executed)
    const drawn = charts(cells)
    expect(drawn.some((c) => c.data!['application/vnd.plotly.v1+json'] !== undefined)).toBe(true)
    const said = outputText(cells)
    expect(said).toContain('the earlier snapshot reads exactly the records its summary counts')
    expect(said).toMatch(/tier 1/)
    expect(said).toMatch(/: 0 ids missing, 0 duplicates/)
  })

  it('kills the sink mid-commit and finds every trade once, then runs the overload demo with its invariants', async () => {
    const said = outputText(cellsOf(run('03-resilience').executed))
    expect(said).toContain('chaos: SIGKILL at commit-sent')
    expect(said).toContain('nothing lost, nothing duplicated')
    expect(said).toContain('every invariant held')
    // …and removes what the demo made: its topics and its tables are gone from the stack.
    const demo = /namespace (nb_degrade_\d+):/.exec(said)?.[1]
    expect(demo).toBeDefined()
    expect(said).toContain(`removed the demo's 5 topics and tables ${demo}.trades, ${demo}.quotes`)
    expect((await lake.catalog.listNamespaces()).map((n) => n.join('.'))).not.toContain(demo)
    const admin = lake.kafka.admin()
    await admin.connect()
    const left = (await admin.listTopics()).filter((t) => t.startsWith(`k2.${demo}.`))
    await admin.disconnect()
    expect(left).toEqual([])
  })

  it('prices three scales from the measured figures, with the sensitivity table', () => {
    const said = outputText(cellsOf(run('04-cost-model').executed))
    for (const scale of ['small', 'medium', 'large']) expect(said).toMatch(new RegExp(`${scale}\\b`))
    expect(said).toMatch(/large scale: \$[\d.]+ per million messages/)
    expect(said).toContain('sensitivity at the large scale')
  })

  it('leaves no worker behind: what a kernel started stopped with it', async () => {
    expect(runs.size).toBeGreaterThan(0)
    const kernelStarted = groupNames('pipeline').filter((n) => n !== 'replay-exchange') // the test started that one
    await eventually(async () => ((await stack.status(kernelStarted)).every((s) => s.state === 'down') ? true : undefined), 15_000, 'the notebook-started workers to stop')
  })
})
