/**
 * The one quantile of a sample the workbench computes (benchmarks, notebooks, the degradation
 * policy's percentile judge, the soak), so a p99 in a notebook and the same p99 in
 * docs/bench mean the same thing. Pure.
 */

/**
 * The q-quantile (0 ≤ q ≤ 1) by nearest rank: the ⌈q·n⌉-th smallest value, that is the smallest
 * value with at least a share q of the sample at or below it (p50 of 4 values is the 2nd, p99 of
 * 30 the largest). Chosen over interpolation because it is always a value that was measured,
 * never a blend of two, and it is what the benchmarks have always reported. q outside [0, 1]
 * acts as the nearest bound; undefined for no values (the caller says what that means).
 */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  // q·n within rounding of a whole rank is that rank: 0.07 × 100 is 7.000000000000001 in floating
  // point, and its ceiling would be the 8th value. For p50, p90, p95 and p99 the product is never
  // off that way (n up to 2,000 checked), so the benchmarks' figures are as they were.
  const rank = Math.ceil(q * sorted.length - 1e-9)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}
