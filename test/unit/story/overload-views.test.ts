import { describe, expect, it } from 'vitest'
import { degradationLevels, isWorkbenchError, projectRoot, readOverloadTimeline, story } from '../../../lib/internal'

describe('the overload demo as the story shows it (the recorded quick run)', () => {
  const run = readOverloadTimeline(projectRoot, 'quick')

  it('draws the phases as contiguous bands from 0', () => {
    const bands = story.phaseBands(run.phases)
    expect(bands[0]!.from).toBe(0)
    for (let i = 1; i < bands.length; i++) expect(bands[i]!.from).toBe(bands[i - 1]!.to)
    expect(bands.map((b) => b.label)).toEqual(run.phases.map((p) => p.name))
  })

  it("orders the levels as lib defines them, NORMAL at the bottom, for both workers", () => {
    const spec = story.overloadLevelChart(run, 'levels').spec as { layer: Array<{ encoding?: { y?: { scale?: { domain?: string[] } } }; data: { values: Array<Record<string, unknown>> } }> }
    const line = spec.layer[2]!
    expect(line.encoding!.y!.scale!.domain).toEqual([...degradationLevels].reverse())
    expect(line.data.values).toHaveLength(run.timeline.length * 2)
    expect(story.overloadFlowChart(run, 'flows').title).toBe('flows')
    expect(story.offeredAndBehindChart(run).title).toBe('What the exchange offered, and how far the lake fell behind')
  })

  it('lists each invariant with its numbers, and passes a run whose invariants held', () => {
    const result = { ...run, transitions: { ingest: [], sink: [{ atMs: 1, from: 'SOFT' as const, to: 'NORMAL' as const, reason: 'r', signals: {} }] } }
    const rows = story.invariantRows(result)
    expect(rows.map((r) => r.holds)).toEqual([true, true, true, true])
    expect(rows[3]!.detail).toBe('NORMAL')
    expect(story.invariantsCaption(run.invariants)).toBe('every invariant held')
    expect(story.invariantsLine(run.invariants)).toMatch(/^every invariant held: [\d,]+ trades in the lake, duplicates 0/)
    expect(() => story.assertInvariants(run.invariants)).not.toThrow()
    expect(story.transitionRows(result.transitions)).toEqual([{ worker: 'sink', atMs: 1, from: 'SOFT', to: 'NORMAL', reason: 'r', signals: {} }])
  })

  it('fails the notebook with every problem when an invariant did not hold', () => {
    const failed = { ...run.invariants, ok: false, duplicates: 3, problems: ['3 duplicate trades in the lake', 'a level stepped down more than one level at once'] }
    let err: unknown
    try {
      story.assertInvariants(failed)
    } catch (e) {
      err = e
    }
    expect(isWorkbenchError(err, 'CHECK_FAILED')).toBe(true)
    expect((err as Error).message).toBe('overload demo invariants failed: 3 duplicate trades in the lake; a level stepped down more than one level at once')
    expect(story.invariantsCaption(failed)).toBe('FAILED: 3 duplicate trades in the lake; a level stepped down more than one level at once')
    expect(story.invariantsLine(failed)).toMatch(/^INVARIANT FAILED: /)
  })

  it('writes the live line a second, as text and HTML', () => {
    const b = story.overloadSampleBundle(run.timeline[0]!)
    expect(b['text/plain']).toMatch(/^ {3}1 s {2}normal {4}offered 2,400 ev\/s {2}ingest NORMAL {2}sink NORMAL/)
    expect(b['text/html']).toBe(`<pre>${b['text/plain']}</pre>`)
  })
})
