import { describe, expect, it } from 'vitest'
import { malformedKinds, type MalformedKind } from '../../../lib/internal'
import { applyFrameFaults, faultProblems, timedFaults, type FaultState, type FrameOutcome, type ReplayFaults } from '../../../lib/internal'
import { createSeededRandom } from '../../../lib/internal'

/** A connection's fault state from a seed, and the frames `f1`, `f2`, … offered to it. */
function connection(seed = 1): FaultState {
  return { frames: 0, held: undefined, rng: createSeededRandom(seed) }
}

/** Offers n frames; returns every outcome and what the client receives, in order (malformed frames as `bad:<kind>`). */
function offer(faults: ReplayFaults, n: number, state = connection(), kinds: readonly MalformedKind[] = malformedKinds): { outcomes: FrameOutcome[]; received: string[] } {
  const outcomes: FrameOutcome[] = []
  const received: string[] = []
  for (let i = 1; i <= n; i++) {
    const outcome = applyFrameFaults(faults, kinds, state, `f${i}`)
    outcomes.push(outcome)
    if (outcome.end) break
    if (outcome.malformed) received.push(`bad:${outcome.malformed}`)
    received.push(...outcome.send)
  }
  return { outcomes, received }
}

const frames = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `f${from + i}`)

describe('replay faults', () => {
  it('passes every frame through once, in order, when no fault is set', () => {
    expect(offer({}, 50).received).toEqual(frames(1, 50))
  })

  it('drops the connection at its n-th frame, after sending the ones before', () => {
    const { outcomes, received } = offer({ drop: { everyFrames: 50 } }, 100)
    expect(received).toEqual(frames(1, 49))
    expect(outcomes.at(-1)).toEqual({ end: 'drop' })
  })

  it('ends the connection with serverShutdown rather than a data frame when that fault strikes', () => {
    const { outcomes, received } = offer({ serverShutdown: { everyFrames: 3 } }, 10)
    expect(received).toEqual(frames(1, 2))
    expect(outcomes.at(-1)).toEqual({ end: 'serverShutdown' })
  })

  it('sends every frame twice with duplicate probability 1, counted as duplicates', () => {
    const { outcomes, received } = offer({ duplicate: 1 }, 20)
    expect(received).toEqual(frames(1, 20).flatMap((f) => [f, f]))
    expect(outcomes.every((o) => !o.end && o.fault === 'duplicate')).toBe(true)
  })

  it('swaps each frame with the next one with reorder probability 1', () => {
    const { received } = offer({ reorder: 1 }, 20)
    expect(received).toEqual(frames(1, 20).flatMap((_, i, all) => (i % 2 === 0 ? [all[i + 1]!, all[i]!] : [])))
  })

  it('holds every n-th frame until after the next one', () => {
    const { received } = offer({ reorder: { everyFrames: 3 } }, 10)
    expect(received).toEqual(['f1', 'f2', 'f4', 'f3', 'f5', 'f7', 'f6', 'f8', 'f10', 'f9'])
  })

  it('omits about the share of frames it is given, the same ones for the same seed', () => {
    const omitted = (seed: number): number[] =>
      offer({ omit: 0.2 }, 10_000, connection(seed)).outcomes.flatMap((o, i) => (!o.end && o.fault === 'omit' ? [i] : []))
    const once = omitted(7)
    expect(once.length / 10_000).toBeGreaterThan(0.18)
    expect(once.length / 10_000).toBeLessThan(0.22)
    expect(omitted(7)).toEqual(once)
    expect(omitted(8)).not.toEqual(once)
  })

  it('keeps the other faults where they were when a certain fault is added: it draws nothing', () => {
    const omitted = (faults: ReplayFaults): number[] => offer(faults, 2_000).outcomes.flatMap((o, i) => (!o.end && o.fault === 'omit' ? [i] : []))
    const alone = omitted({ omit: 0.3 })
    expect(alone.length).toBeGreaterThan(0)
    expect(omitted({ omit: 0.3, malformed: 0 })).toEqual(alone)
    expect(omitted({ omit: 0.3, drop: 0, serverShutdown: 0 })).toEqual(alone)
  })

  it('puts a malformed frame of an allowed kind before the real one, drawing every allowed kind', () => {
    const kinds: MalformedKind[] = ['truncatedJson', 'oversize']
    const { received } = offer({ malformed: { everyFrames: 2 } }, 400, connection(), kinds)
    for (let i = 1; i <= 400; i++) {
      const at = received.indexOf(`f${i}`)
      expect(at, `f${i}`).toBeGreaterThanOrEqual(0)
      if (i % 2 === 0) expect(received[at - 1]!.startsWith('bad:')).toBe(true)
      else expect(received[at - 1] ?? '').not.toMatch(/^bad:/)
    }
    const drawn = new Set(received.filter((f) => f.startsWith('bad:')).map((f) => f.slice(4)))
    expect(drawn).toEqual(new Set(kinds))
  })

  it('still sends the malformed frame when the real one is omitted', () => {
    const { received } = offer({ malformed: 1, omit: 1 }, 3, connection(), ['zeroPrice'])
    expect(received).toEqual(['bad:zeroPrice', 'bad:zeroPrice', 'bad:zeroPrice'])
  })

  it('runs only the { afterMs } connection faults on a timer', () => {
    expect(timedFaults({ drop: { afterMs: 300 }, serverShutdown: 0.5, duplicate: 1 })).toEqual([{ fault: 'drop', afterMs: 300 }])
    expect(timedFaults({ serverShutdown: { afterMs: 5 }, drop: { everyFrames: 2 } })).toEqual([{ fault: 'serverShutdown', afterMs: 5 }])
    // A timed fault never strikes a frame.
    expect(offer({ drop: { afterMs: 1 } }, 10).received).toEqual(frames(1, 10))
  })

  it.each<[string, ReplayFaults, readonly MalformedKind[], RegExp | undefined]>([
    ['probabilities and schedules', { drop: 0.01, serverShutdown: { afterMs: 500 }, duplicate: { everyFrames: 3 }, omit: 0, malformed: 1 }, malformedKinds, undefined],
    ['an unknown fault', { lag: 1 } as ReplayFaults, malformedKinds, /faults\.lag is not a fault; known: drop, /],
    ['a probability above 1', { omit: 1.5 }, malformedKinds, /faults\.omit=1\.5 must be a probability 0–1/],
    ['a schedule of 0 frames', { reorder: { everyFrames: 0 } }, malformedKinds, /faults\.reorder=\{"everyFrames":0\}/],
    ['a fractional schedule', { drop: { afterMs: 2.5 } }, malformedKinds, /faults\.drop=\{"afterMs":2\.5\}/],
    ['a timer on a frame fault', { duplicate: { afterMs: 100 } } as unknown as ReplayFaults, malformedKinds, /faults\.duplicate cannot be \{ afterMs \}/],
    ['an unknown malformed kind', {}, ['garbled' as MalformedKind], /faults\.malformedKinds has "garbled"; known kinds: truncatedJson, /],
    ['no malformed kinds', {}, [], /faults\.malformedKinds is empty/],
  ])('checks the faults it is given: %s', (_, faults, kinds, problem) => {
    const problems = faultProblems(faults, kinds)
    if (problem === undefined) expect(problems).toEqual([])
    else expect(problems.join('\n')).toMatch(problem)
  })
})
