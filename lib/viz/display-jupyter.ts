/**
 * Showing charts and tables in a notebook: one display bundle per output, sent through tslab's
 * display channel with every representation at once (tslab's public `display` API sends one
 * MIME type per output, which would lose the fallback).
 */
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { Chart } from './chart-specs'
import { plotlyMime, vegaLiteMime, type DisplayBundle } from './display-bundle'
import { renderSvg } from './render-vega'
import { tableBundle, type TableOptions } from './table-html'

/**
 * A chart's bundle: the vega-lite spec (or plotly figure) for JupyterLab, its SVG for every
 * other reader, and the title as text.
 */
export async function chartBundle(chart: Chart): Promise<DisplayBundle> {
  const svg = await renderSvg(chart)
  return {
    'text/plain': chart.title,
    'image/svg+xml': svg,
    ...(chart.plotly ? { [plotlyMime]: chart.plotly } : { [vegaLiteMime]: chart.spec }),
  }
}

type WriteDisplayData = (data: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void

/** tslab's writer for the cell being executed; undefined outside a tslab kernel. */
function tslabWriter(): WriteDisplayData | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('tslab/dist/jupyter') as { lastWriteDisplayData: WriteDisplayData | null }).lastWriteDisplayData ?? undefined
  } catch {
    return undefined
  }
}

/** Whether this process is a tslab kernel that can show outputs. */
export const inNotebook = (): boolean => tslabWriter() !== undefined

/** Sends a bundle as one display_data output of the running cell. */
export function displayBundle(bundle: DisplayBundle): void {
  const write = tslabWriter()
  if (!write) throw new WorkbenchError(ErrorCode.DisplayFailed, 'there is no notebook to show this in: display() works inside a tslab kernel (use chartBundle() or tableBundle() elsewhere)')
  write({ data: { ...bundle }, metadata: {}, transient: {} }, false)
}

/** One output that later calls replace in place (progress lines, a live status table). */
export interface LiveDisplay {
  update(bundle: DisplayBundle): void
}

let liveDisplays = 0

/**
 * A display that each `update` overwrites; outside a notebook, updates go nowhere. Updates are
 * sent at most every `minIntervalMs` (the latest wins; the last is sent when the interval is up):
 * a burst of progress lines was a burst of kernel messages, and tslab reports a message its
 * socket refused (zeromq's EAGAIN, seen on a loaded machine) as the cell's failure.
 */
export function createLiveDisplay(minIntervalMs = 200): LiveDisplay {
  const id = `k2-live-${process.pid}-${++liveDisplays}`
  let shown = false
  let lastSentAt = 0
  let pending: DisplayBundle | undefined
  let timer: NodeJS.Timeout | undefined
  const send = (bundle: DisplayBundle): void => {
    const write = tslabWriter()
    if (!write) return
    write({ data: { ...bundle }, metadata: {}, transient: { display_id: id } }, shown)
    shown = true
    lastSentAt = Date.now()
  }
  return {
    update(bundle) {
      const wait = lastSentAt + minIntervalMs - Date.now()
      if (wait <= 0 && timer === undefined) return send(bundle)
      pending = bundle
      timer ??= setTimeout(() => {
        timer = undefined
        const b = pending!
        pending = undefined
        send(b)
      }, Math.max(0, wait))
    },
  }
}

/** Shows a chart (rendered first, so the call is awaited) or rows as a table. */
export async function show(what: Chart | readonly object[], options?: TableOptions): Promise<void> {
  displayBundle(Array.isArray(what) ? tableBundle(what, options) : await chartBundle(what as Chart))
}
