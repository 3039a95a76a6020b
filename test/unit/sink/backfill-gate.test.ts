import { describe, expect, it } from 'vitest'
import { createBackfillGate } from '../../../lib/internal'

describe('backfill gate', () => {
  it('backfills only when the level allows it', () => {
    const gate = createBackfillGate(1.5, 0.5)
    expect(gate.update(false, 0)).toBe(false)
    expect(gate.update(true, 0)).toBe(true)
  })

  it('yields to the live topics while their backlog stands high, and resumes once it is low again', () => {
    const gate = createBackfillGate(1.5, 0.5)
    const backlog = [0.2, 1.0, 1.6, 1.2, 0.8, 0.6, 0.4, 0.9]
    expect(backlog.map((b) => gate.update(true, b))).toEqual([true, true, false, false, false, false, true, true])
  })

  it('keeps its last decision when the backlog is unknown', () => {
    const gate = createBackfillGate(1.5, 0.5)
    gate.update(true, 3)
    expect(gate.update(true, undefined)).toBe(false)
    gate.update(true, 0)
    expect(gate.update(true, undefined)).toBe(true)
  })
})
