import { errorMessage } from '../errors/index'
import type { Metrics } from '../metrics/index'
import type { IngestDegradation } from './degradation-wiring'
import { normaliseBinanceEvent, normaliseBinanceFrame, parseBinanceFrame, type Normalised, type NormaliseContext } from './normalise-binance'
import type { IngestOutput, StageNanos } from './output-kafka'
import type { Sequencing } from './sequencing'

export interface FrameHandlerDeps {
  readonly sequencing: Pick<Sequencing, 'offerTrade' | 'acceptQuote'>
  readonly output: Pick<IngestOutput, 'quote' | 'deadLetter'>
  readonly degradation: Pick<IngestDegradation, 'tradeRead'>
  readonly metrics: Metrics
  /** With the profile on: where parse and normalise times are summed. */
  readonly stageNanos?: StageNanos
}

/** Where each frame of the feed goes. */
export interface FrameHandler {
  onFrame(frame: string, receivedMicros: bigint): void
  /** Frames handled so far. */
  frames(): number
}

/**
 * A feed frame, normalised: a trade goes to sequencing (and marks how far the feed has been
 * read), a quote to Kafka unless it is a duplicate, anything that cannot become a record to the
 * dead-letter topic with its reason. No frame stops the loop.
 */
export function createFrameHandler(context: Omit<NormaliseContext, 'receivedMicros'>, deps: FrameHandlerDeps): FrameHandler {
  const { sequencing, output, degradation, stageNanos } = deps
  const counter = deps.metrics.get('ingestFrames')
  const framesBy = { trade: counter.labels('trade'), quote: counter.labels('quote'), control: counter.labels('control'), reject: counter.labels('reject') }
  // One context object, its receive time updated per frame (no allocation on the hot path).
  const liveCtx: { -readonly [K in keyof NormaliseContext]: NormaliseContext[K] } = { ...context, receivedMicros: 0n }
  const clock = process.hrtime.bigint
  let frames = 0

  const normalise = (frame: string, receivedMicros: bigint): Normalised => {
    liveCtx.receivedMicros = receivedMicros
    if (!stageNanos) return normaliseBinanceFrame(frame, liveCtx)
    const t0 = clock()
    const parsed = parseBinanceFrame(frame, context.maxFrameBytes)
    const t1 = clock()
    const n = 'kind' in parsed ? parsed : normaliseBinanceEvent(parsed.value, liveCtx)
    stageNanos.parse += t1 - t0
    stageNanos.normalise += clock() - t1
    return n
  }

  const onFrame = (frame: string, receivedMicros: bigint): void => {
    frames++
    let n: Normalised
    try {
      n = normalise(frame, receivedMicros)
    } catch (err) {
      // The normaliser is total; this guards the loop against a bug, never silently.
      framesBy.reject.inc()
      return output.deadLetter(frame, 'wrong_type', `normaliser failed: ${errorMessage(err)}`, receivedMicros, 'ws')
    }
    framesBy[n.kind].inc()
    switch (n.kind) {
      case 'reject':
        return output.deadLetter(frame, n.reason, n.detail, receivedMicros, 'ws', n.symbol)
      case 'control':
        return
      case 'quote':
        if (sequencing.acceptQuote(n.quote.symbol, n.quote.updateId)) output.quote(n.quote, receivedMicros)
        return
      case 'trade':
        degradation.tradeRead(n.trade.timestampMicros)
        sequencing.offerTrade(n.trade)
        return
    }
  }

  return { onFrame, frames: () => frames }
}
