import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../../lib/internal'
import { storyCells, type NotebookCell } from '../../../bench/soak/story-cells'

const md = (source: string): NotebookCell => ({ cell_type: 'markdown', source })
const code = (source: string): NotebookCell => ({ cell_type: 'code', source })

describe('storyCells', () => {
  it('runs the first cell once, loops every section but the overload one, and closes once', () => {
    const cells = storyCells([md('# Title'), code('const wb = connectWorkbench()'), md('## 1 · Live ingestion'), code('rates()'), md('## 4 · Resilience: degradation under overload'), code('demo()'), md('## 5 · Hybrid queries'), code('query()'), code(''), code('await wb.close();')])
    expect(cells.setup).toEqual(['const wb = connectWorkbench()'])
    expect(cells.loop.map((c) => c.source)).toEqual(['rates()', 'query()'])
    expect(cells.teardown).toEqual(['await wb.close();'])
    expect(cells.skipped).toEqual(['4 · Resilience: degradation under overload'])
  })

  it('on the story itself: leaves out exactly its resilience section and keeps its query cells', () => {
    const nb = JSON.parse(fs.readFileSync(path.join(projectRoot, 'notebooks', '01-ten-minute-story.ipynb'), 'utf8')) as { cells: NotebookCell[] }
    const cells = storyCells(nb.cells)
    expect(cells.skipped).toHaveLength(1)
    expect(cells.setup.join('\n')).toContain('connectWorkbench')
    const looped = cells.loop.map((c) => c.source).join('\n')
    // The queries run through the story's helpers: freshness (recent trades) and the query mix (as-of join included).
    expect(looped).toContain('story.sampleFreshness')
    expect(looped).toContain('story.measureQueryLatency(story.storyQueries(')
    expect(looped).not.toContain('readOverloadTimeline')
    expect(cells.teardown).toHaveLength(1)
  })
})
