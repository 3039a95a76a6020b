import { describe, expect, it } from 'vitest'
import { barChart, candlestickChart, chartBundle, chartValues, displayBundle, isWorkbenchError, lineChart, plotlyMime, renderSvg, vegaLiteChart, vegaLiteMime } from '../../../lib/internal'

/** The marks vega drew: `<g class="mark-<type> role-mark …">` groups and the paths in each. */
function marks(svg: string): Array<{ type: string; items: number }> {
  const out: Array<{ type: string; items: number }> = []
  const re = /<g class="mark-(\w+) role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g
  for (let m = re.exec(svg); m; m = re.exec(svg)) out.push({ type: m[1]!, items: (m[2]!.match(/<(path|line|text)\b/g) ?? []).length })
  return out
}

const t0 = Date.UTC(2026, 11, 2, 12)
const rates = [0, 1, 2, 3].flatMap((i) => [
  { at: new Date(t0 + i * 1000), stream: 'trades', perSecond: 100n + BigInt(i) },
  { at: new Date(t0 + i * 1000), stream: 'quotes', perSecond: '250.5' },
])

describe('chart values', () => {
  it('turns bigints and decimal strings into numbers and dates into epoch ms, and keeps names', () => {
    expect(chartValues([{ a: 12n, b: '0.00012000', c: new Date(t0), d: 'BTCUSDT', e: null }], ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual([{ a: 12, b: 0.00012, c: t0, d: 'BTCUSDT', e: null, f: null }])
  })
})

describe('charts render to SVG in Node (the static fallback)', () => {
  it('draws one line per series with the title and axis titles', async () => {
    const svg = await renderSvg(lineChart(rates, { title: 'Ingest rate', x: 'at', y: 'perSecond', series: 'stream', yTitle: 'records/s' }))
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('Ingest rate')
    expect(svg).toContain('records/s')
    expect(marks(svg).filter((m) => m.type === 'line').reduce((n, m) => n + m.items, 0)).toBe(2)
  })

  it('draws phase bands behind the lines, labelled', async () => {
    const chart = lineChart(rates, { title: 'Levels', x: 'at', y: 'perSecond', bands: [{ from: new Date(t0), to: new Date(t0 + 1500), label: 'overload' }, { from: new Date(t0 + 1500), to: new Date(t0 + 3000), label: 'recovery' }] })
    const svg = await renderSvg(chart)
    const rects = marks(svg).filter((m) => m.type === 'rect')
    expect(rects.reduce((n, m) => n + m.items, 0)).toBe(2)
    expect(svg).toContain('overload')
    expect(svg).toContain('recovery')
  })

  it('draws a bar per row, grouped side by side', async () => {
    const rows = ['recent', 'bars_1h', 'vwap'].flatMap((q) => ['p50', 'p95', 'p99'].map((p, i) => ({ query: q, quantile: p, ms: 10 * (i + 1) })))
    const svg = await renderSvg(barChart(rows, { title: 'Latency', x: 'query', y: 'ms', group: 'quantile' }))
    expect(marks(svg).filter((m) => m.type === 'rect').reduce((n, m) => n + m.items, 0)).toBe(9)
    for (const q of ['recent', 'bars_1h', 'vwap', 'p50', 'p99']) expect(svg).toContain(q)
  })

  it('draws candlesticks from OHLC rows, and gives plotly the same bars', async () => {
    const bars = [
      { start: new Date(t0), open: '100.5', high: '101', low: '99', close: '100.9' },
      { start: new Date(t0 + 60_000), open: '100.9', high: '102', low: '100', close: '100.1' },
    ]
    const chart = candlestickChart(bars, { title: 'BTCUSDT 1m', time: 'start', open: 'open', high: 'high', low: 'low', close: 'close' })
    expect(chart.plotly!.data[0]).toMatchObject({ type: 'candlestick', open: [100.5, 100.9], close: [100.9, 100.1], x: [new Date(t0).toISOString(), new Date(t0 + 60_000).toISOString()] })
    const svg = await renderSvg(chart)
    expect(marks(svg).filter((m) => m.type === 'rule').reduce((n, m) => n + m.items, 0)).toBe(2)
    expect(svg).toContain('#26a69a') // an up bar
    expect(svg).toContain('#ef5350') // a down bar
  })

  it('refuses a spec vega cannot draw, naming the chart', async () => {
    const err = await renderSvg(vegaLiteChart({ mark: 'no-such-mark', data: { values: [] } }, 'Broken')).catch((e: unknown) => e)
    expect(isWorkbenchError(err, 'DISPLAY_FAILED')).toBe(true)
    expect((err as Error).message).toContain('"Broken"')
  })
})

describe('display bundles', () => {
  it('carry the vega-lite spec for JupyterLab and the SVG for everyone else', async () => {
    const chart = lineChart(rates, { title: 'Ingest rate', x: 'at', y: 'perSecond', series: 'stream' })
    const bundle = await chartBundle(chart)
    expect(bundle[vegaLiteMime]).toEqual(chart.spec)
    expect(String(bundle[vegaLiteMime]!.$schema)).toContain('vega-lite/v5')
    expect(bundle['image/svg+xml']).toContain('<svg')
    expect(bundle['text/plain']).toBe('Ingest rate')
    // JSON-safe: what the notebook stores is what the renderer gets.
    expect(JSON.parse(JSON.stringify(bundle))).toEqual(bundle)
  })

  it('carry the plotly figure instead of vega-lite for a candlestick chart', async () => {
    const bundle = await chartBundle(candlestickChart([{ t: new Date(t0), o: 1, h: 2, l: 0.5, c: 1.5 }], { title: 'c', time: 't', open: 'o', high: 'h', low: 'l', close: 'c' }))
    expect(bundle[plotlyMime]?.data[0]?.type).toBe('candlestick')
    expect(bundle[vegaLiteMime]).toBeUndefined()
    expect(bundle['image/svg+xml']).toContain('<svg')
  })

  it('cannot be displayed outside a notebook kernel, and say so', () => {
    let err: unknown
    try {
      displayBundle({ 'text/plain': 'x' })
    } catch (e) {
      err = e
    }
    expect(isWorkbenchError(err, 'DISPLAY_FAILED')).toBe(true)
  })
})
