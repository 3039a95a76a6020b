/**
 * When the sink reads the deferred topics (the backfill of what the load shedder deferred). The
 * level decides first: backfill runs at NORMAL only. Within that, the live topics come first:
 * while the records not yet read from them stand above `pauseAboveSeconds` of input, the backfill
 * yields, until they fall below `resumeBelowSeconds`. Without this, a backfill's large fetches
 * left live records unread for seconds, which read as a backlog and sent a drained sink back to
 * SOFT, which paused the backfill, and so on. Pure.
 */
export interface BackfillGate {
  /** Whether to read the deferred topics now, given what the level allows and the live backlog (seconds of input; undefined: unknown). */
  update(levelAllows: boolean, liveBacklogSeconds: number | undefined): boolean
}

export function createBackfillGate(pauseAboveSeconds: number, resumeBelowSeconds: number): BackfillGate {
  let yielding = false
  return {
    update(levelAllows, backlog) {
      if (backlog !== undefined) {
        if (backlog > pauseAboveSeconds) yielding = true
        else if (backlog < resumeBelowSeconds) yielding = false
      }
      return levelAllows && !yielding
    },
  }
}
