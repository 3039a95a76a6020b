/** The phases of a sink flush, in order (chaos tests crash the sink at each). */
export const sinkPhases = ['flush-started', 'files-written', 'files-uploaded', 'commit-sent', 'committed'] as const
export type SinkPhase = (typeof sinkPhases)[number]
