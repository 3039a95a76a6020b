/**
 * The replay exchange's fault injection, as decisions: which faults an exchange may be given, and
 * for each data frame a connection is about to get, what it gets instead. Pure: the connection's
 * frame count, held frame and seeded random source are passed in, so a seed gives the same faults
 * on every run, and the exchange only carries the decision out.
 */
import { malformedKinds as allMalformedKinds, type MalformedKind } from './binance-frames'
import type { SeededRandom } from './seeded-random'

/** A fault that applies to frames: a probability per frame (0–1), or every n-th frame of a connection. */
export type FrameFault = number | { readonly everyFrames: number }

/** A fault that ends a connection: as a FrameFault, or once when the connection is `afterMs` old. */
export type ConnectionFault = FrameFault | { readonly afterMs: number }

/** Faults to inject, each counted in stats(). Evaluated per connection, per frame it is sent. */
export interface ReplayFaults {
  /** Close the socket abruptly (no close frame: the client sees 1006). */
  readonly drop?: ConnectionFault
  /** Send a `serverShutdown` event, keep streaming for `serverShutdownGraceMs`, then close with 1001. */
  readonly serverShutdown?: ConnectionFault
  /** Send the frame twice. */
  readonly duplicate?: FrameFault
  /** Hold the frame and send it after the connection's next frame. */
  readonly reorder?: FrameFault
  /** Do not send the frame (trades stay in the REST history, so a client can repair the gap). */
  readonly omit?: FrameFault
  /** Send a malformed frame (built from this one) before this one. */
  readonly malformed?: FrameFault
  /** Which malformed kinds to draw from (default: all). */
  readonly malformedKinds?: readonly MalformedKind[]
}

/** What the fault decisions keep per connection. */
export interface FaultState {
  /** Data frames offered to the connection so far (the one being decided included). */
  frames: number
  /** A frame held back by `reorder`, sent after the next one. */
  held: string | undefined
  readonly rng: SeededRandom
}

/** What becomes of one data frame that does not end its connection. */
export interface FrameSend {
  readonly end?: undefined
  /** Send a malformed frame of this kind, built from this one, before `send`. */
  readonly malformed: MalformedKind | undefined
  /** The frames to write, in order (none when omitted or held). */
  readonly send: readonly string[]
  /** The frame fault that shaped `send`, if any. */
  readonly fault: 'omit' | 'reorder' | 'duplicate' | undefined
}

/** What becomes of one data frame: it ends the connection (abruptly, or with a serverShutdown event first), or it is sent. */
export type FrameOutcome = { readonly end: 'drop' | 'serverShutdown' } | FrameSend

const faultNames = ['drop', 'serverShutdown', 'duplicate', 'reorder', 'omit', 'malformed', 'malformedKinds']

/** What is wrong with the faults an exchange is given, one line each (empty when nothing). */
export function faultProblems(faults: ReplayFaults, kinds: readonly MalformedKind[]): string[] {
  const problems: string[] = []
  for (const [name, f] of Object.entries(faults)) {
    if (!faultNames.includes(name)) problems.push(`faults.${name} is not a fault; known: ${faultNames.join(', ')}`)
    if (name === 'malformedKinds' || f === undefined || !faultNames.includes(name)) continue
    if (typeof f === 'number' ? !(f >= 0 && f <= 1) : !isSchedule(f)) problems.push(`faults.${name}=${JSON.stringify(f)} must be a probability 0–1, { everyFrames: n } or (drop, serverShutdown) { afterMs: n }`)
    if (typeof f === 'object' && f !== null && 'afterMs' in f && name !== 'drop' && name !== 'serverShutdown') problems.push(`faults.${name} cannot be { afterMs }: only drop and serverShutdown end a connection on a timer`)
  }
  for (const k of kinds) if (!allMalformedKinds.includes(k)) problems.push(`faults.malformedKinds has ${JSON.stringify(k)}; known kinds: ${allMalformedKinds.join(', ')}`)
  if (kinds.length === 0) problems.push('faults.malformedKinds is empty')
  return problems
}

/** The connection-ending faults that run on a timer, with their delays. */
export function timedFaults(faults: ReplayFaults): Array<{ readonly fault: 'drop' | 'serverShutdown'; readonly afterMs: number }> {
  const timed: Array<{ readonly fault: 'drop' | 'serverShutdown'; readonly afterMs: number }> = []
  for (const [fault, f] of [['drop', faults.drop], ['serverShutdown', faults.serverShutdown]] as const) {
    if (typeof f === 'object' && 'afterMs' in f) timed.push({ fault, afterMs: f.afterMs })
  }
  return timed
}

/**
 * Whether a fault strikes the connection's current frame. A probability draws from the
 * connection's random source only when it is strictly between 0 and 1, so adding a certain or an
 * absent fault leaves the other faults' draws as they were.
 */
export function faultFires(f: ConnectionFault | undefined, state: Pick<FaultState, 'frames' | 'rng'>): boolean {
  if (f === undefined) return false
  if (typeof f === 'number') return f > 0 && (f >= 1 || state.rng.float() < f)
  if ('everyFrames' in f) return state.frames % f.everyFrames === 0
  return false // { afterMs } runs on a timer
}

/**
 * Decides one data frame's fate and updates the connection's fault state. Faults are tried in a
 * fixed order (drop, serverShutdown, malformed, omit, then reorder or the release of a held frame,
 * then duplicate) so a seed always gives the same sequence of frames.
 */
export function applyFrameFaults(faults: ReplayFaults, kinds: readonly MalformedKind[], state: FaultState, text: string): FrameOutcome {
  state.frames++
  if (faultFires(faults.drop, state)) return { end: 'drop' }
  if (faultFires(faults.serverShutdown, state)) return { end: 'serverShutdown' }
  const malformed = faultFires(faults.malformed, state) ? kinds[state.rng.int(kinds.length)]! : undefined
  if (faultFires(faults.omit, state)) return { malformed, send: [], fault: 'omit' }
  if (state.held !== undefined) {
    // The held frame goes after this one: the pair arrives swapped.
    const held = state.held
    state.held = undefined
    return { malformed, send: [text, held], fault: undefined }
  }
  if (faultFires(faults.reorder, state)) {
    state.held = text
    return { malformed, send: [], fault: 'reorder' }
  }
  if (faultFires(faults.duplicate, state)) return { malformed, send: [text, text], fault: 'duplicate' }
  return { malformed, send: [text], fault: undefined }
}

function isSchedule(f: unknown): boolean {
  if (typeof f !== 'object' || f === null) return false
  const v = 'everyFrames' in f ? (f as { everyFrames: unknown }).everyFrames : 'afterMs' in f ? (f as { afterMs: unknown }).afterMs : undefined
  return typeof v === 'number' && Number.isInteger(v) && v > 0
}
