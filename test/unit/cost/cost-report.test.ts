import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { costModelReport, defaultLevers, estimateCost, figuresFromBenchmarks, isWorkbenchError, parseUnitPrices, projectRoot, readBenchmarkIndex, readBenchmarkResults, scales, seedCostPerMillion, sustainedTradesPerSecond } from '../../../lib/internal'
import { readProjectJson, thrownBy } from '../../support/cost-inputs'

describe('the cost document (docs/cost-model.md)', () => {
  const prices = parseUnitPrices(readProjectJson('data/unit-prices.json'))
  const results = readBenchmarkResults(projectRoot)
  const figures = figuresFromBenchmarks(results)
  const report = costModelReport({ prices, figures, benchmarkFiles: results.files, largeTargetPerMillion: 0.05 })

  it('gives each scale the total and $ per million that estimateCost computes', () => {
    for (const name of ['small', 'medium', 'large'] as const) {
      const e = estimateCost(prices, figures, scales[name], defaultLevers)
      expect(report.estimates[name].perMillion).toBe(e.perMillion)
      const total = e.total >= 100 ? `$${Math.round(e.total).toLocaleString('en')}` : `$${e.total.toFixed(2)}`
      expect(report.markdown).toContain(`**${total}**`)
    }
    expect(report.markdown).toMatch(/\*\*Large scale: \$0\.\d+ per million messages\*\* against the target of \$0\.05 — (met|missed)\./)
  })

  it("shows the seeds' figure beside ours at every scale, each with a reason", () => {
    expect(report.seedComparison.map((s) => s.scale)).toEqual(['small', 'medium', 'large'])
    for (const s of report.seedComparison) {
      expect(s.reason.length).toBeGreaterThan(40)
      expect(report.markdown).toContain(`| ${s.scale} |`)
      expect(report.markdown).toContain(`$${seedCostPerMillion.low}–${seedCostPerMillion.high}`)
    }
  })

  it('lists a sensitivity row per lever value, the inputs with their dates and sources, and the benchmark files', () => {
    const rows = report.markdown.split('## Sensitivity')[1]!.split('##')[0]!.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| lever'))
    expect(rows.length).toBe(report.sensitivity.length)
    for (const key of ['compute', 'objectStorage', 'requests', 'network', 'kafkaManaged', 'kafkaSelfRun'] as const) {
      expect(report.markdown).toContain(`| ${prices[key].date} | ${prices[key].source} |`)
    }
    for (const f of results.files) expect(report.markdown).toContain(`\`${f}\``)
    for (const s of figures.sources) expect(report.markdown).toContain(s)
  })

  it('is the committed docs/cost-model.md: regenerate it with `npm run bench -- --report-only` after changing lib/cost', () => {
    expect(fs.readFileSync(path.join(projectRoot, 'docs', 'cost-model.md'), 'utf8')).toBe(report.markdown)
  })
})

describe('the benchmark index (docs/benchmarks.json)', () => {
  it('names the result file of each benchmark, and those files exist', () => {
    const index = readBenchmarkIndex(projectRoot)
    for (const f of Object.values(index.sources)) expect(fs.existsSync(path.join(projectRoot, f)), f).toBe(true)
  })

  it('refuses a missing index or one without a source, naming the file and what to run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-index-'))
    try {
      const missing = thrownBy(() => readBenchmarkIndex(dir))
      expect(isWorkbenchError(missing, 'CONFIG_INVALID')).toBe(true)
      expect(String((missing as Error).message)).toContain('npm run bench')
      fs.mkdirSync(path.join(dir, 'docs'))
      fs.writeFileSync(path.join(dir, 'docs', 'benchmarks.json'), JSON.stringify({ sources: { ingest: 'a.json', sink: 'b.json' } }))
      expect(String((thrownBy(() => readBenchmarkIndex(dir)) as Error).message)).toMatch(/no sources\.query/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('gives the overload demo the end-to-end rate the sink benchmark measured, and refuses an index without it', () => {
    const index = readBenchmarkIndex(projectRoot)
    const sink = readBenchmarkResults(projectRoot).sink as { live: { committedTradesPerSecondSteady: number } }
    expect(sustainedTradesPerSecond(index)).toBe(sink.live.committedTradesPerSecondSteady)
    for (const headline of [undefined, { sink: {} }, { sink: { liveCommittedTradesPerSecond: 0 } }, { sink: { liveCommittedTradesPerSecond: '51401' } }]) {
      const err = thrownBy(() => sustainedTradesPerSecond({ ...index, headline }))
      expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
      expect(String((err as Error).message)).toContain('liveCommittedTradesPerSecond')
    }
  })
})
