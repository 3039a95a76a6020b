/**
 * A story's parameters, from the notebook section of the config (K2_NOTEBOOK_MODE, _RANGE_MINUTES,
 * _SYMBOL), under names a cell can carry to the next: tslab does not carry a variable named
 * `symbol`, `from` or `to` across cells (they are type or keyword names to it). Pure.
 */
import type { WorkbenchConfig } from '../config/index'

/** What a run of a story is: its mode, range and symbol. */
export interface StoryParameters {
  readonly mode: 'quick' | 'full'
  /** quick mode: the short headless run (fewer samples, shorter windows). */
  readonly quick: boolean
  readonly rangeMinutes: number
  /** The symbol the story follows. */
  readonly focus: string
}

/** The parameters from the config's notebook section. */
export function storyParameters(notebook: WorkbenchConfig['notebook']): StoryParameters {
  return { mode: notebook.mode, quick: notebook.mode === 'quick', rangeMinutes: notebook.rangeMinutes, focus: notebook.symbol }
}

/** One line saying what the run is on: mode, range, symbol, brokers, catalog. */
export function describeRun(config: Pick<WorkbenchConfig, 'notebook' | 'kafka' | 'catalog'>): string {
  const { mode, rangeMinutes, symbol } = config.notebook
  return `mode ${mode} · range ${rangeMinutes} min · symbol ${symbol} · brokers ${config.kafka.brokers.join(',')} · catalog ${config.catalog.url}`
}

/** The time range an exploration reads. */
export interface StoryRange {
  readonly focus: string
  /** `rangeMinutes` before now. */
  readonly rangeStart: Date
  /** A minute after now: an exchange clock slightly ahead of this one must not hide the newest trades. */
  readonly rangeEnd: Date
}

/** The range the exploration looks at, ending a minute ahead of `nowMs`. */
export function storyRange(notebook: WorkbenchConfig['notebook'], nowMs: number = Date.now()): StoryRange {
  return { focus: notebook.symbol, rangeStart: new Date(nowMs - notebook.rangeMinutes * 60_000), rangeEnd: new Date(nowMs + 60_000) }
}
