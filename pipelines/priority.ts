/**
 * A worker whose work can wait (queries, maintenance) lowers its own scheduling priority, so that
 * on a busy machine the ingest and the sink get the CPU first (docs/decisions.md, D55). Linux keeps
 * a niceness per thread, and a new thread takes its creator's: every thread running now is
 * lowered, and the ones made later (libuv's pool, DuckDB's threads, worker threads) follow.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import { errorMessage, type Logger } from '../lib/index'

/** Lowers this process to niceness `nice` (0: leaves it alone); a refusal is logged, never fatal. */
export function lowerPriority(nice: number, log: Logger, why: string): void {
  if (nice <= 0) return
  let tids: number[] = [0]
  try {
    tids = fs.readdirSync('/proc/self/task').map(Number).filter(Number.isInteger)
  } catch {
    // not Linux: the process-wide call below is all there is
  }
  try {
    for (const tid of tids) os.setPriority(tid, Math.max(os.getPriority(tid), nice))
    log.info(`running at niceness ${nice}: ${why}`)
  } catch (err) {
    log.warn('could not lower this worker\'s scheduling priority; it competes with the ingest and sink as an equal', { nice, error: errorMessage(err) })
  }
}
