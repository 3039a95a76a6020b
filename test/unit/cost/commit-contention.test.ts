import { describe, expect, it } from 'vitest'
import { analyticConflictRate, simulateCommitContention } from '../../../lib/internal'

describe('commit contention on one table', () => {
  it('never conflicts with one committer, and lands one commit per interval', () => {
    const r = simulateCommitContention({ committers: 1, intervalSeconds: 30, windowSeconds: 0.5, seconds: 36_000 })
    expect(r.conflictsPerCommit).toBe(0)
    expect(r.commitsPerSecond).toBeCloseTo(1 / 30, 3)
  })

  it('agrees with the Poisson estimate while commits are sparse', () => {
    for (const committers of [2, 4, 8]) {
      const r = simulateCommitContention({ committers, intervalSeconds: 30, windowSeconds: 0.5, seconds: 200_000, seed: committers })
      const retried = r.retriedShare
      expect(Math.abs(retried - analyticConflictRate(committers, 30, 0.5))).toBeLessThan(0.02)
      expect(r.commitsPerSecond).toBeCloseTo(committers / 30, 2)
    }
  })

  it('saturates the table when commits outrun the window: retries grow and landed commits cap at one per window', () => {
    const r = simulateCommitContention({ committers: 200, intervalSeconds: 30, windowSeconds: 0.5, seconds: 3_000 })
    expect(r.commitsPerSecond).toBeLessThanOrEqual(1 / 0.5 + 1e-9)
    expect(r.conflictsPerCommit).toBeGreaterThan(1)
    expect(r.inFlight).toBeGreaterThan(10)
  })

  it('gives the same figures for the same seed', () => {
    const input = { committers: 16, intervalSeconds: 30, windowSeconds: 0.4, seconds: 10_000, seed: 5 }
    expect(simulateCommitContention(input)).toEqual(simulateCommitContention(input))
  })
})
