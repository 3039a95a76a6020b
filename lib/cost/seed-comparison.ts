import { ErrorCode, WorkbenchError } from '../errors/index'
import type { CostEstimate } from './cost-model'

/** The seed project's published figure, $ per million messages, shown beside ours. */
export const seedCostPerMillion = { low: 0.63, high: 0.85 } as const

/** The target for the large scale, $ per million messages (issue 8). */
export const largeScaleTargetPerMillion = 0.05

/** Our $ per million at one scale beside the seeds' range, with the reason they differ. */
export interface SeedComparison {
  readonly scale: string
  readonly oursPerMillion: number
  readonly seedLow: number
  readonly seedHigh: number
  /** ours ÷ the seeds' low figure: below 1 is cheaper than the seeds' best case. */
  readonly ratioToSeedLow: number
  /** ours ÷ the seeds' high figure. */
  readonly ratioToSeedHigh: number
  /** One line, written by the report: why the figures differ. */
  readonly reason: string
}

/** Puts an estimate beside the seeds' $0.63–0.85 per million. The reason is required: a comparison without one explains nothing. */
export function compareWithSeed(estimate: CostEstimate, reason: string): SeedComparison {
  if (reason.trim() === '') throw new WorkbenchError(ErrorCode.ConfigInvalid, `seed comparison for scale ${estimate.scale}: reason must say in one line why ours differs from the seeds' $${seedCostPerMillion.low}–${seedCostPerMillion.high} per million, got an empty string`)
  return {
    scale: estimate.scale,
    oursPerMillion: estimate.perMillion,
    seedLow: seedCostPerMillion.low,
    seedHigh: seedCostPerMillion.high,
    ratioToSeedLow: estimate.perMillion / seedCostPerMillion.low, // ours ÷ seeds' low
    ratioToSeedHigh: estimate.perMillion / seedCostPerMillion.high, // ours ÷ seeds' high
    reason,
  }
}
