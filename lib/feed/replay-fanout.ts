/**
 * How the tape's events reach the connections: each event to the connections subscribed to its
 * stream, rendered once per kind of connection, through the fault decisions; and the backpressure
 * that holds the tape while a connection's send buffer is above the high-water mark, dropping one
 * stuck there for `stallTimeoutMs`, so memory stays bounded.
 */
import type { Duplex } from 'node:stream'
import { malformedFrameJson, streamName, toBookTickerEvent, toTradeEvent } from './binance-frames'
import type { MarketEvent } from './market-events'
import { dropConnection, shutDownConnection, send, socketOf, terminate, type Connection, type ReplayHub } from './replay-connections'
import { applyFrameFaults, type FrameSend } from './replay-faults'
import { eventFrames } from './replay-protocol'

/** Delivers tape events to the hub's connections. */
export interface ReplayFanout {
  /** Sends one event to every connection subscribed to its stream. */
  deliver(ev: MarketEvent): void
  /** True while some connection has more queued than the high-water mark; drops the ones stuck too long. */
  blocked(now: number): boolean
  /**
   * Corks every connection's socket, so the frames of one batch leave in as few writes as
   * possible (ws corks per frame; nested corks flush only at the outermost uncork); returns the uncork.
   */
  cork(): () => void
}

/** A fan-out over the hub's connections; it keeps each symbol's stream names, built once. */
export function createReplayFanout(hub: ReplayHub): ReplayFanout {
  const streamNames = new Map<string, { readonly trade: string; readonly bookTicker: string }>()
  const namesOf = (symbol: string): { readonly trade: string; readonly bookTicker: string } => {
    let names = streamNames.get(symbol)
    if (!names) {
      names = { trade: streamName(symbol, 'trade'), bookTicker: streamName(symbol, 'bookTicker') }
      streamNames.set(symbol, names)
    }
    return names
  }
  return {
    deliver(ev) {
      const names = namesOf(ev.symbol)
      const stream = ev.kind === 'trade' ? names.trade : names.bookTicker
      const subs = hub.subscribers.get(stream)
      if (!subs || subs.size === 0) return
      const frameFor = eventFrames(ev, stream)
      for (const c of subs) offerFrame(hub, c, frameFor(c.unit, c.combined), ev, stream)
    },
    blocked: (now) => blocked(hub, now),
    cork() {
      const corked: Array<Pick<Duplex, 'uncork'>> = []
      for (const c of hub.connections) {
        const socket = socketOf(c.ws)
        if (socket) {
          socket.cork()
          corked.push(socket)
        }
      }
      return () => {
        for (const socket of corked) socket.uncork()
      }
    },
  }
}

/** One data frame for one connection, through the fault decisions. */
function offerFrame(hub: ReplayHub, c: Connection, text: string, ev: MarketEvent, stream: string): void {
  if (c.closed) return
  const { settings, counters } = hub
  const outcome = applyFrameFaults(settings.faults, settings.malformedKinds, c, text)
  if (outcome.end !== undefined) return outcome.end === 'drop' ? dropConnection(hub, c) : shutDownConnection(hub, c)
  // Named, not narrowed: tslab's compiler (not strict) cannot narrow on `end !== undefined`.
  const sent = outcome as FrameSend
  if (sent.malformed) {
    const source = ev.kind === 'trade' ? { trade: toTradeEvent(ev, c.unit) } : { quote: toBookTickerEvent(ev) }
    send(hub, c, malformedFrameJson(sent.malformed, source, c.combined ? stream : undefined, settings.oversizeBytes))
    counters.malformed++
    counters.malformedByKind[sent.malformed]++
  }
  if (sent.fault) counters[sent.fault]++
  for (const frame of sent.send) send(hub, c, frame)
}

function blocked(hub: ReplayHub, now: number): boolean {
  let any = false
  for (const c of hub.connections) {
    if (c.ws.bufferedAmount <= hub.settings.highWaterBytes) {
      c.blockedSince = undefined
      continue
    }
    c.blockedSince ??= now
    if (now - c.blockedSince >= hub.settings.stallTimeoutMs) {
      hub.counters.slowConsumerDrops++
      hub.log.warn('dropping a slow consumer', { connection: c.id, bufferedBytes: c.ws.bufferedAmount, stalledMs: now - c.blockedSince })
      terminate(hub, c)
      continue
    }
    any = true
  }
  return any
}
