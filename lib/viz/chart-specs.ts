/**
 * Chart specifications, pure: rows in, a vega-lite spec (and, for candlesticks, a plotly figure)
 * out. Nothing here renders; `render-vega.ts` turns a spec into SVG and `display-jupyter.ts`
 * sends the bundle to the notebook. vega-lite is the main grammar because JupyterLab renders it
 * natively and vega renders the same spec to SVG in Node, so one spec serves the live notebook
 * and the static fallback (nbconvert HTML, PDF, GitHub, untrusted notebooks).
 */

/** A vega-lite spec as JSON (the v5 schema, which JupyterLab 4's renderer understands). */
export type VegaLiteSpec = Record<string, unknown>

/** A plotly figure as JSON (`application/vnd.plotly.v1+json`). */
export interface PlotlyFigure {
  readonly data: ReadonlyArray<Record<string, unknown>>
  readonly layout: Record<string, unknown>
}

/** One chart: what a cell displays. `spec` always exists (it is the static fallback's source). */
export interface Chart {
  readonly title: string
  readonly spec: VegaLiteSpec
  /** Set where plotly suits better (candlesticks): shown live in JupyterLab, `spec` elsewhere. */
  readonly plotly?: PlotlyFigure
}

/** The vega-lite schema the specs declare: v5, the version JupyterLab's vega renderer reads. */
export const vegaLiteSchema = 'https://vega.github.io/schema/vega-lite/v5.json'

export type Row = Readonly<Record<string, unknown>>
type FieldType = 'temporal' | 'quantitative' | 'nominal' | 'ordinal'

interface Size {
  /** Pixels (default 640 × 260). */
  readonly width?: number
  readonly height?: number
}

export interface LineChartOptions extends Size {
  readonly title: string
  readonly x: string
  readonly y: string
  /** A field whose values split the data into series (one line each). */
  readonly series?: string
  readonly xType?: 'temporal' | 'quantitative'
  readonly xTitle?: string
  readonly yTitle?: string
  /** Step interpolation: for levels and counters that jump rather than glide. */
  readonly step?: boolean
  /** Logarithmic y. */
  readonly logY?: boolean
  /** Order of a nominal y (levels from lowest to highest). */
  readonly yDomain?: readonly string[]
  /** Background bands: `[from, to, label]` on x, e.g. the overload demo's phases. */
  readonly bands?: ReadonlyArray<{ readonly from: number | Date; readonly to: number | Date; readonly label: string }>
}

export interface BarChartOptions extends Size {
  readonly title: string
  /** The category axis. */
  readonly x: string
  readonly y: string
  /** Bars side by side within each category (p50/p95/p99, scales). */
  readonly group?: string
  readonly xTitle?: string
  readonly yTitle?: string
  readonly logY?: boolean
  /** Category order (default: as in the data). */
  readonly sort?: readonly string[]
  /** Horizontal bars, for long category names. */
  readonly horizontal?: boolean
}

export interface CandlestickOptions extends Size {
  readonly title: string
  readonly time: string
  readonly open: string
  readonly high: string
  readonly low: string
  readonly close: string
}

/**
 * Chart data as plain JSON: bigints and decimal strings become numbers (charts need no exact
 * arithmetic), Dates become epoch milliseconds on a UTC time scale.
 */
export function chartValues(rows: readonly Row[], fields: readonly string[]): Array<Record<string, string | number | null>> {
  return rows.map((row) => {
    const out: Record<string, string | number | null> = {}
    for (const f of fields) out[f] = chartValue(row[f])
    return out
  })
}

function chartValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v === 'string') return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v) ? Number(v) : v
  if (typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

const base = (title: string, size: Size): VegaLiteSpec => ({
  $schema: vegaLiteSchema,
  title,
  width: size.width ?? 640,
  height: size.height ?? 260,
  config: { view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { orient: 'bottom' }, font: 'Helvetica, Arial, sans-serif' },
})

const axisField = (field: string, type: FieldType, title: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  field,
  type,
  title: title ?? field,
  ...(type === 'temporal' ? { scale: { type: 'utc' }, axis: { format: '%H:%M:%S', labelAngle: 0 } } : {}),
  ...extra,
})

const fieldsOf = (...names: Array<string | undefined>): string[] => names.filter((n): n is string => n !== undefined)

/** Lines over time (or any quantitative x), one per series; optional phase bands behind them. */
export function lineChart(rows: readonly Row[], o: LineChartOptions): Chart {
  const xType = o.xType ?? 'temporal'
  const y: Record<string, unknown> = o.yDomain
    ? { field: o.y, type: 'ordinal', title: o.yTitle ?? o.y, scale: { domain: [...o.yDomain].reverse() }, sort: [...o.yDomain].reverse() }
    : { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: o.logY ? { type: 'log' } : { zero: false } }
  const line = {
    data: { values: chartValues(rows, fieldsOf(o.x, o.y, o.series)) },
    mark: { type: 'line', interpolate: o.step ? 'step-after' : 'linear', point: rows.length <= 40 },
    encoding: {
      x: axisField(o.x, xType, o.xTitle),
      y,
      ...(o.series ? { color: { field: o.series, type: 'nominal', title: o.series } } : {}),
      tooltip: fieldsOf(o.x, o.y, o.series).map((f) => ({ field: f, type: f === o.x ? xType : f === o.y && !o.yDomain ? 'quantitative' : 'nominal' })),
    },
  }
  if (!o.bands || o.bands.length === 0) return { title: o.title, spec: { ...base(o.title, o), ...line } }
  const bands = {
    data: { values: o.bands.map((b) => ({ from: chartValue(b.from), to: chartValue(b.to), phase: b.label })) },
    mark: { type: 'rect', opacity: 0.12 },
    encoding: { x: { field: 'from', type: xType, ...(xType === 'temporal' ? { scale: { type: 'utc' } } : {}) }, x2: { field: 'to' }, color: { field: 'phase', type: 'nominal', legend: null, scale: { scheme: 'set2' } } },
  }
  const labels = { ...bands, mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, fontSize: 10 }, encoding: { x: bands.encoding.x, y: { value: 0 }, text: { field: 'phase' } } }
  return { title: o.title, spec: { ...base(o.title, o), layer: [bands, labels, line], resolve: { scale: { color: 'independent' } } } }
}

/** Bars per category, optionally grouped side by side (p50/p95/p99 per query type). */
export function barChart(rows: readonly Row[], o: BarChartOptions): Chart {
  const category = { field: o.x, type: 'nominal', title: o.xTitle ?? o.x, sort: o.sort ? [...o.sort] : null, axis: o.horizontal ? {} : { labelAngle: -30, labelLimit: 180 } }
  const value = { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, ...(o.logY ? { scale: { type: 'log' } } : {}) }
  const group = o.group ? { field: o.group, type: 'nominal', title: o.group } : undefined
  const encoding: Record<string, unknown> = o.horizontal
    ? { y: category, x: value, ...(group ? { yOffset: group, color: group } : {}) }
    : { x: category, y: value, ...(group ? { xOffset: group, color: group } : {}) }
  encoding.tooltip = fieldsOf(o.x, o.y, o.group).map((f) => ({ field: f, type: f === o.y ? 'quantitative' : 'nominal' }))
  return { title: o.title, spec: { ...base(o.title, o), data: { values: chartValues(rows, fieldsOf(o.x, o.y, o.group)) }, mark: { type: 'bar', tooltip: true }, encoding } }
}

/**
 * OHLC candlesticks: plotly's candlestick trace for the live notebook (zoom, hover), and the
 * same bars in vega-lite (a rule from low to high, a bar from open to close) as the fallback.
 */
export function candlestickChart(rows: readonly Row[], o: CandlestickOptions): Chart {
  const values = chartValues(rows, [o.time, o.open, o.high, o.low, o.close]).map((r): Record<string, string | number | null> => ({ ...r, direction: Number(r[o.close]) >= Number(r[o.open]) ? 'up' : 'down' }))
  const x = axisField(o.time, 'temporal', 'time (UTC)')
  const color = { field: 'direction', type: 'nominal', legend: null, scale: { domain: ['up', 'down'], range: ['#26a69a', '#ef5350'] } }
  const spec = {
    ...base(o.title, o),
    data: { values },
    encoding: { x, color },
    layer: [
      { mark: 'rule', encoding: { y: { field: o.low, type: 'quantitative', scale: { zero: false }, title: 'price' }, y2: { field: o.high } } },
      // A time scale has no bands: each body gets a share of the plot's width instead.
      { mark: { type: 'bar', size: Math.max(1, Math.min(14, Math.floor(((o.width ?? 640) / Math.max(1, values.length)) * 0.7))) }, encoding: { y: { field: o.open, type: 'quantitative' }, y2: { field: o.close } } },
    ],
  }
  const plotly: PlotlyFigure = {
    data: [
      {
        type: 'candlestick',
        x: values.map((v) => new Date(Number(v[o.time])).toISOString()),
        open: values.map((v) => v[o.open]),
        high: values.map((v) => v[o.high]),
        low: values.map((v) => v[o.low]),
        close: values.map((v) => v[o.close]),
      },
    ],
    layout: { title: { text: o.title }, width: o.width ?? 640, height: (o.height ?? 260) + 80, xaxis: { rangeslider: { visible: false }, title: { text: 'time (UTC)' } }, yaxis: { title: { text: 'price' } } },
  }
  return { title: o.title, spec, plotly }
}

/** A chart from a hand-written vega-lite spec (the schema and a title are filled in). */
export function vegaLiteChart(spec: VegaLiteSpec, title: string): Chart {
  return { title, spec: { $schema: vegaLiteSchema, title, ...spec } }
}
