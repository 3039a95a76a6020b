/**
 * Query results as tables, pure: an HTML table for notebooks and reports and a plain-text one
 * for consoles and `text/plain` readers. Values keep their exactness (decimal strings and
 * bigints are printed as they are), timestamps print in UTC, and every cell is escaped.
 */
import type { DisplayBundle } from './display-bundle'

export interface TableOptions {
  /** Columns in order (default: the keys of the first row). */
  readonly columns?: readonly string[]
  /** Rows shown at most (default 20); the caption says how many there were. */
  readonly maxRows?: number
  readonly caption?: string
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** One cell as text: exact decimals and ids, UTC timestamps to the microsecond where given. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString().replace('T', ' ').replace('Z', '')
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))
  if (typeof v === 'string') return v
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))
}

const numeric = (v: unknown): boolean => typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))

/** A table bundle (`text/html` + `text/plain`) of rows. */
export function tableBundle(input: readonly object[], options: TableOptions = {}): DisplayBundle {
  const rows = input as ReadonlyArray<Readonly<Record<string, unknown>>>
  const columns = options.columns ?? Object.keys(rows[0] ?? {})
  const max = options.maxRows ?? 20
  const shown = rows.slice(0, max)
  const note = rows.length > shown.length ? `${rows.length.toLocaleString('en')} rows, first ${shown.length} shown` : `${rows.length.toLocaleString('en')} row${rows.length === 1 ? '' : 's'}`
  const caption = options.caption ? `${options.caption} · ${note}` : note
  const right = columns.map((c) => shown.length > 0 && shown.every((r) => r[c] === null || r[c] === undefined || numeric(r[c])))
  const th = columns.map((c, i) => `<th style="text-align:${right[i] ? 'right' : 'left'}">${escapeHtml(c)}</th>`).join('')
  const body = shown
    .map((r) => `<tr>${columns.map((c, i) => `<td style="text-align:${right[i] ? 'right' : 'left'};font-variant-numeric:tabular-nums">${escapeHtml(cellText(r[c]))}</td>`).join('')}</tr>`)
    .join('\n')
  const html = `<table class="k2-table"><caption style="caption-side:bottom;text-align:left;color:#666">${escapeHtml(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`

  const cells = shown.map((r) => columns.map((c) => cellText(r[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)))
  const pad = (s: string, i: number): string => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))
  const text = [columns.map(pad), widths.map((w) => '-'.repeat(w)), ...cells.map((row) => row.map(pad))].map((line) => line.join('  ').trimEnd()).concat(caption).join('\n')
  return { 'text/html': html, 'text/plain': text }
}
