/**
 * How often optimistic commits to one Iceberg table collide, for a plan at scales this machine
 * cannot run. Each of `committers` sinks commits every `intervalSeconds` (phase random, ±20 %
 * jitter); a commit reads the table's current snapshot, spends `windowSeconds` writing its
 * manifests, then asks the catalog to commit on that base. The catalog refuses (409) when
 * another commit landed in between; the committer reloads and tries again, which takes another
 * window. Pure and seeded: the same inputs give the same figures.
 */
import { createSeededRandom } from '../feed/seeded-random'

export interface ContentionInput {
  readonly committers: number
  readonly intervalSeconds: number
  /** From reading the base to the catalog's answer: manifest and manifest-list writes, the request. */
  readonly windowSeconds: number
  /** Simulated time. */
  readonly seconds: number
  readonly seed?: number
}

export interface ContentionResult {
  /** Commits that landed per second, over all committers. */
  readonly commitsPerSecond: number
  /** 409s per landed commit. */
  readonly conflictsPerCommit: number
  /** Share of commits that needed at least one retry. */
  readonly retriedShare: number
  /** The most attempts one commit needed. */
  readonly maxAttempts: number
  /** Commits in flight on average (from first read to landing): near 1 and above, retries cascade. */
  readonly inFlight: number
}

/** The chance a commit is refused at least once under a Poisson stream of the others' commits. */
export function analyticConflictRate(committers: number, intervalSeconds: number, windowSeconds: number): number {
  return 1 - Math.exp(-((committers - 1) / intervalSeconds) * windowSeconds)
}

export function simulateCommitContention(input: ContentionInput): ContentionResult {
  const { committers, intervalSeconds, windowSeconds, seconds } = input
  const rng = createSeededRandom(input.seed ?? 1)
  const rand = (): number => rng.float()
  // Each committer's next attempt: when it reads the base, and how many attempts this commit took.
  const next = Array.from({ length: committers }, () => ({ readAt: rand() * intervalSeconds, attempts: 1, firstReadAt: 0 }))
  for (const n of next) n.firstReadAt = n.readAt
  let lastLandedAt = -Infinity
  let landed = 0
  let conflicts = 0
  let retried = 0
  let maxAttempts = 0
  let busy = 0
  for (;;) {
    // The attempt whose answer comes first: read at readAt, answered at readAt + window.
    let i = 0
    for (let k = 1; k < committers; k++) if (next[k]!.readAt < next[i]!.readAt) i = k
    const c = next[i]!
    const answerAt = c.readAt + windowSeconds
    if (answerAt > seconds) break
    // Attempts are answered in the order they read (one window each): it is refused if another
    // commit landed after it read its base.
    if (lastLandedAt <= c.readAt) {
      lastLandedAt = answerAt
      landed++
      busy += answerAt - c.firstReadAt
      if (c.attempts > 1) retried++
      maxAttempts = Math.max(maxAttempts, c.attempts)
      const interval = intervalSeconds * (0.8 + 0.4 * rand())
      c.readAt = c.firstReadAt + interval
      if (c.readAt < answerAt) c.readAt = answerAt
      c.firstReadAt = c.readAt
      c.attempts = 1
    } else {
      conflicts++
      c.readAt = answerAt // reload and write the manifests again
      c.attempts++
    }
  }
  return {
    commitsPerSecond: landed / seconds,
    conflictsPerCommit: landed > 0 ? conflicts / landed : 0,
    retriedShare: landed > 0 ? retried / landed : 0,
    maxAttempts,
    inFlight: busy / seconds,
  }
}
