/**
 * The Prometheus text exposition format, read back: what a worker's /metrics serves, as samples.
 * Pure. Notebooks and the soak read workers this way between Prometheus' scrapes.
 */

/** One sample of a worker's /metrics: name, labels, value. */
export interface MetricSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** Parses the text exposition format (the samples; comments and types skipped). */
export function parseExposition(text: string): MetricSample[] {
  const out: MetricSample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c))
    out.push({ name: m[1]!, labels, value: Number(m[4]) })
  }
  return out
}

/** The sum of a metric's samples whose labels include `labels` (0 when none): a counter across its other labels. */
export function sampleSum(samples: readonly MetricSample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0)
}
