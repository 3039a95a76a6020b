import { createRequire } from 'node:module'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLiveDisplay } from '../../../lib/internal'

// tslab's display channel as the kernel sets it for the running cell: here, a recorder.
const jupyter = createRequire(__filename)('tslab/dist/jupyter') as { lastWriteDisplayData: unknown }

describe('a live display in a notebook', () => {
  afterEach(() => {
    jupyter.lastWriteDisplayData = null
    vi.useRealTimers()
  })

  it('sends a burst of updates as the first and the latest, not one kernel message each', () => {
    vi.useFakeTimers()
    const sent: Array<{ text: unknown; update: boolean; id: unknown }> = []
    jupyter.lastWriteDisplayData = (d: { data: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => sent.push({ text: d.data['text/plain'], update, id: d.transient.display_id })
    const live = createLiveDisplay(200)
    for (let i = 1; i <= 50; i++) live.update({ 'text/plain': `line ${i}` })
    expect(sent.map((s) => s.text)).toEqual(['line 1'])
    vi.advanceTimersByTime(200)
    expect(sent.map((s) => s.text)).toEqual(['line 1', 'line 50'])
    // The first creates the output, the rest replace it in place.
    expect(sent.map((s) => s.update)).toEqual([false, true])
    expect(new Set(sent.map((s) => s.id)).size).toBe(1)
    vi.advanceTimersByTime(1000)
    live.update({ 'text/plain': 'done' })
    expect(sent.at(-1)!.text).toBe('done')
  })
})
