/**
 * Is the live stack healthy, as the story promises? Pure: the caller gathers worker states and
 * metric samples; this says, per check, what was seen, what is expected and whether it holds.
 *
 * Healthy at nominal load means (issue 16): every worker up, the lake lag within the commit
 * interval plus 10 s, and both degradation managers at NORMAL. The story shows the table, and
 * `npm run notebooks` fails when a check does not hold, so a demo backup is never recorded on
 * a sick stack.
 */
import { levelAtRank } from '../../lib/internal'

export interface HealthInputs {
  /** Each worker's state (`up`, `down`, …). */
  readonly workers: Readonly<Record<string, string>>
  /** `k2_degrade_level` by worker (0 NORMAL … 4 CIRCUIT_BREAK); absent: the worker did not report. */
  readonly levels: Readonly<Record<string, number | undefined>>
  /** `k2_sink_lag_seconds` by table. */
  readonly lakeLagSeconds: Readonly<Record<string, number>>
  /** The sink's commit interval (K2_SINK_MAX_AGE_MS), seconds. */
  readonly commitIntervalSeconds: number
}

export interface HealthCheck {
  readonly check: string
  readonly seen: string
  readonly expected: string
  readonly ok: boolean
}

export interface HealthVerdict {
  readonly ok: boolean
  readonly checks: readonly HealthCheck[]
  /** The failing checks, one line each (for an error message). */
  readonly problems: readonly string[]
}


/** Slack on top of the commit interval: a commit's own latency (p99 target 5 s) and a scrape's age. */
export const lakeLagSlackSeconds = 10

export function healthVerdict(inputs: HealthInputs): HealthVerdict {
  const checks: HealthCheck[] = []
  for (const [worker, state] of Object.entries(inputs.workers)) checks.push({ check: `${worker} running`, seen: state, expected: 'up', ok: state === 'up' })
  const bound = inputs.commitIntervalSeconds + lakeLagSlackSeconds
  const tables = Object.entries(inputs.lakeLagSeconds)
  if (tables.length === 0) checks.push({ check: 'lake lag', seen: 'not reported', expected: `≤ ${bound} s`, ok: false })
  for (const [table, lag] of tables) checks.push({ check: `lake lag of ${table}`, seen: `${lag.toFixed(1)} s`, expected: `≤ ${bound} s (commit interval + ${lakeLagSlackSeconds} s)`, ok: lag <= bound })
  for (const [worker, level] of Object.entries(inputs.levels)) {
    checks.push({ check: `${worker} degradation level`, seen: level === undefined ? 'not reported' : (levelAtRank(level) ?? String(level)), expected: 'NORMAL', ok: level === 0 })
  }
  const problems = checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.seen} (expected ${c.expected})`)
  return { ok: problems.length === 0, checks, problems }
}
