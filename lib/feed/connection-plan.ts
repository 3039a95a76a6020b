/**
 * How a set of market streams is spread over WebSocket connections. Pure.
 *
 * Binance serves at most 1,024 streams on one connection (Spot "WebSocket Streams"), and the
 * combined-stream URL names every one of them: 1,024 `xxxusdt@bookTicker` names are ~20 KB of
 * request line, more than common HTTP servers take (Node's default header limit is 16 KiB). So a
 * connection takes streams until either limit would be passed, and a symbol's streams stay on one
 * connection (a roll or a reconnect then affects a symbol's trades and quotes together).
 */
export const binanceMaxStreamsPerConnection = 1024

export interface ConnectionPlanLimits {
  /** Streams per connection (Binance: 1,024). */
  readonly maxStreams?: number
  /** Characters of `streams=a/b/…` per connection URL (default 8,000). */
  readonly maxUrlChars?: number
}

/** The symbol a stream name is of: `btcusdt@trade` → `btcusdt`. */
const symbolOf = (stream: string): string => stream.slice(0, Math.max(0, stream.indexOf('@')))

/**
 * Streams in groups, one per connection, in the order given: a group takes a symbol's streams
 * whole while they fit both limits. Throws RangeError for a symbol whose streams alone exceed
 * them (a configuration no connection can carry).
 */
export function planConnections(streams: readonly string[], limits: ConnectionPlanLimits = {}): string[][] {
  const maxStreams = limits.maxStreams ?? binanceMaxStreamsPerConnection
  const maxChars = limits.maxUrlChars ?? 8_000
  // A symbol's streams together, in the order its first stream appears.
  const bySymbol = new Map<string, string[]>()
  for (const s of streams) {
    const key = symbolOf(s)
    let list = bySymbol.get(key)
    if (!list) bySymbol.set(key, (list = []))
    list.push(s)
  }
  const groups: string[][] = []
  let current: string[] = []
  let chars = 0
  for (const [symbol, list] of bySymbol) {
    const size = list.reduce((n, s) => n + s.length + 1, 0)
    if (list.length > maxStreams || size > maxChars) throw new RangeError(`${symbol}: ${list.length} streams (${size} characters) exceed one connection's ${maxStreams} streams or ${maxChars} characters`)
    if (current.length + list.length > maxStreams || chars + size > maxChars) {
      groups.push(current)
      current = []
      chars = 0
    }
    current.push(...list)
    chars += size
  }
  if (current.length > 0) groups.push(current)
  return groups
}
