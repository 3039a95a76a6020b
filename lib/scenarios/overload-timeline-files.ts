/**
 * The overload demo's recorded run: `npm run degrade-demo` writes data/degrade-timeline-<mode>.json
 * and the story charts it without running the demo. IO adapter: one writer, one reader, so the
 * file's shape is said once.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { OverloadDemoResult } from './overload-demo'

/** What the file keeps of a run: enough to draw its charts and say whether its invariants held. */
export type RecordedOverloadRun = Pick<OverloadDemoResult, 'mode' | 'phases' | 'timeline' | 'transitions' | 'invariants'>

/** data/degrade-timeline-<mode>.json under the project root. */
export const overloadTimelinePath = (root: string, mode: OverloadDemoResult['mode']): string => path.join(root, 'data', `degrade-timeline-${mode}.json`)

/** Writes a run's timeline; returns the file. */
export function writeOverloadTimeline(root: string, result: RecordedOverloadRun): string {
  const file = overloadTimelinePath(root, result.mode)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const { mode, phases, timeline, transitions, invariants } = result
  fs.writeFileSync(file, JSON.stringify({ mode, phases, timeline, transitions, invariants }, null, 1) + '\n')
  return file
}

/** The recorded run of `mode`; the quick one when no full run has been recorded (the repository keeps both). */
export function readOverloadTimeline(root: string, mode: OverloadDemoResult['mode']): RecordedOverloadRun {
  const wanted = overloadTimelinePath(root, mode)
  const file = fs.existsSync(wanted) ? wanted : overloadTimelinePath(root, 'quick')
  let run: Partial<RecordedOverloadRun> | null
  try {
    run = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RecordedOverloadRun> | null
  } catch (err) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `cannot read the overload demo's timeline ${file}: ${errorMessage(err)} (run \`npm run degrade-demo\` to record one)`, false, { cause: err })
  }
  const missing = (['mode', 'phases', 'timeline', 'transitions', 'invariants'] as const).filter((k) => run?.[k] === undefined)
  if (missing.length > 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `the overload demo's timeline ${file} has no ${missing.join(', ')}; record it again with \`npm run degrade-demo\``)
  return run as RecordedOverloadRun
}
