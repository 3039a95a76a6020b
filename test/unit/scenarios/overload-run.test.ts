import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isWorkbenchError, overloadDemoRun, overloadTimelinePath, projectRoot, readOverloadTimeline, writeOverloadTimeline, type RecordedOverloadRun } from '../../../lib/internal'

describe("the overload demo's runs and recorded timelines", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-overload-'))
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

  it("names a run so that npm test's sweep recognises the notebook's leftovers", () => {
    const run = overloadDemoRun({ paths: { root, cache: root, state: '/state', scrapeTargets: root, demoReports: root } }, 'nb_degrade', 1733400000000)
    expect(run).toEqual({ namespace: 'nb_degrade_1733400000000', topicPrefix: 'k2.nb_degrade_1733400000000', workDir: path.join('/state', 'degrade-demo', 'nb_degrade_1733400000000') })
    // stack/lib/test-sweep.ts removes topics and namespaces of these shapes.
    expect(run.topicPrefix).toMatch(/^k2\.nb_degrade_/)
    expect(run.namespace).toMatch(/^nb_degrade_/)
  })

  it('reads back what it wrote, and falls back to the quick run when no full run is recorded', () => {
    const recorded = readOverloadTimeline(projectRoot, 'quick')
    const written = writeOverloadTimeline(root, recorded)
    expect(written).toBe(overloadTimelinePath(root, 'quick'))
    expect(readOverloadTimeline(root, 'quick')).toEqual(recorded)
    expect(readOverloadTimeline(root, 'full').mode).toBe('quick')
    const full: RecordedOverloadRun = { ...recorded, mode: 'full' }
    writeOverloadTimeline(root, full)
    expect(readOverloadTimeline(root, 'full').mode).toBe('full')
  })

  it('refuses a timeline without its invariants, saying how to record one', () => {
    const bad = fs.mkdtempSync(path.join(root, 'bad-'))
    fs.mkdirSync(path.join(bad, 'data'))
    fs.writeFileSync(overloadTimelinePath(bad, 'quick'), JSON.stringify({ mode: 'quick', phases: [], timeline: [], transitions: { ingest: [], sink: [] } }))
    let err: unknown
    try {
      readOverloadTimeline(bad, 'quick')
    } catch (e) {
      err = e
    }
    expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
    expect(String((err as Error).message)).toMatch(/has no invariants; record it again with `npm run degrade-demo`/)
  })
})
