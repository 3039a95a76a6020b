/**
 * Static rendering: a chart's vega-lite spec compiled and drawn to SVG by vega in this Node
 * process (no browser, no canvas), the fallback that nbconvert HTML, PDF reports, GitHub and
 * untrusted notebooks show.
 */
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { Chart } from './chart-specs'
import { loadVega } from './vega-bridge.cjs'

/**
 * vega-lite's compile warnings (a dropped channel, an adjusted band size) would land on the
 * kernel's stderr, where the notebook runner reads failures; the spec decides what is drawn.
 */
function quietLogger(): unknown {
  let level = 0
  const logger = {
    level(l?: number) {
      if (l === undefined) return level
      level = l
      return logger
    },
    error: () => logger,
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
  }
  return logger
}

/** The chart as a standalone SVG document. */
export async function renderSvg(chart: Chart): Promise<string> {
  const { vega, vegaLite } = await loadVega()
  let view: InstanceType<typeof vega.View> | undefined
  try {
    // A copy: vega tags the data objects it ingests, and the spec also goes into the bundle as is.
    const compiled = vegaLite.compile(structuredClone(chart.spec), { logger: quietLogger() }).spec
    // logLevel 0: vega's warnings would go to the console; a bad spec throws instead.
    view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: 0 })
    return await view.toSVG()
  } catch (err) {
    throw new WorkbenchError(ErrorCode.DisplayFailed, `chart "${chart.title}" could not be rendered to SVG: ${errorMessage(err)}`, false, { cause: err })
  } finally {
    view?.finalize()
  }
}
