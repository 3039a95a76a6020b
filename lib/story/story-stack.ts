/**
 * What the story helpers need from a notebook's handle on the live stack (stack/notebook.ts's
 * `NotebookWorkbench` is one): its config, the workers' own metrics, Prometheus, the query
 * engine, and for the resilience story the workers themselves. Declared here, below the stack,
 * so lib never imports the stack manager; the notebook passes `wb`. Types only.
 */
import type { WorkbenchConfig } from '../config/index'
import type { MetricSample } from '../metrics/index'
import type { QueryEngine } from '../query/index'

/** The workers a story starts, stops or watches. */
export type StoryWorker = 'replay-exchange' | 'ingest' | 'iceberg-sink' | 'maintenance' | 'api'

/** The workers that serve /metrics. */
export type ScrapedWorker = Exclude<StoryWorker, 'replay-exchange'>

/** One series of a PromQL instant query. */
export interface PromSample {
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** One point of a PromQL range query. */
export interface PromPoint extends PromSample {
  readonly at: Date
}

/** The notebook's handle, as far as the story helpers use it. */
export interface StoryStack {
  readonly config: WorkbenchConfig
  /** The samples a worker's /metrics serves now. */
  scrape(worker: ScrapedWorker): Promise<MetricSample[]>
  /** A PromQL instant query: one row per series. */
  promQuery(expr: string): Promise<PromSample[]>
  /** A PromQL range query over the last `minutes`, one row per point. */
  promRange(expr: string, minutes: number, stepSeconds?: number): Promise<PromPoint[]>
  /** Polls `check` until it returns a value, showing what it waits for; throws after `timeoutMs`. */
  waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>
  /** The hybrid query engine on the configured tables. */
  engine(): Promise<QueryEngine>
  /** A worker's state, quietly. */
  state(name: StoryWorker): Promise<'up' | 'starting' | 'down'>
  /** Starts workers not running yet; `env` for the ones this call starts, `outliveKernel` to start them as the stack would. */
  up(names: readonly StoryWorker[], options?: { readonly env?: Readonly<Record<string, string>>; readonly outliveKernel?: boolean }): Promise<void>
  /** Stops workers (by default the ones this kernel started). */
  down(names?: readonly StoryWorker[]): Promise<void>
  /** The last lines of a worker's log. */
  logs(name: StoryWorker, lines?: number): string
  /** Workers this kernel started. */
  owned(): readonly StoryWorker[]
}

/** Waits `ms` (injected in tests so a sampling loop runs at once). */
export type Sleep = (ms: number) => Promise<void>
