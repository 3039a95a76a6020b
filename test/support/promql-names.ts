/**
 * The metric names a PromQL expression reads, for tests that check rules and dashboards name
 * only metrics that exist. Not a parser: it removes strings, label matchers, range selectors and
 * grouping clauses, then keeps the identifiers that are not PromQL functions or keywords.
 */
const promqlWords = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'label_replace', 'label_join',
  'abs', 'absent', 'absent_over_time', 'ceil', 'floor', 'round', 'clamp', 'clamp_min', 'clamp_max', 'vector', 'scalar', 'time',
  'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'changes', 'resets',
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset',
])

export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/(?<![\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const [token] of stripped.matchAll(/[A-Za-z_:][\w:]*/g)) if (!promqlWords.has(token) && !/^\d/.test(token)) names.add(token)
  return [...names]
}
