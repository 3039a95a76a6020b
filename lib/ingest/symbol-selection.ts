import type { IngestShard } from './shard'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { ListedSymbol } from '../feed/history-binance-rest'
import type { SymbolInfo } from './normalise-binance'
import { shardName, symbolsOfShard } from './shard'

/**
 * Which symbols this ingest process reads, and the streams it subscribes to. Pure.
 *
 * Only symbols the exchange lists as TRADING can be asked for: a typo or a delisted symbol would
 * otherwise subscribe to a stream that never sends anything, which looks like a quiet market. A
 * shard left with none of the symbols is a configuration error too (more shards than symbols),
 * not a process that idles.
 */

/**
 * The symbols to ingest, by name, with what the normaliser needs of each: those `asked` (every
 * TRADING symbol when empty) that fall in `shard`. Throws ConfigInvalid, naming `source`, for
 * symbols the exchange does not list as trading, or a shard left with none.
 */
export function selectSymbols(listing: readonly ListedSymbol[], asked: readonly string[], shard: IngestShard, source: string): Map<string, SymbolInfo> {
  const byName = new Map<string, SymbolInfo>(listing.filter((s) => s.status === 'TRADING').map((s) => [s.symbol, s]))
  const listedOrAsked = asked.length > 0 ? asked : [...byName.keys()]
  const unknown = listedOrAsked.filter((s) => !byName.has(s))
  if (unknown.length > 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `symbols not listed by the exchange at ${source}: ${unknown.slice(0, 10).join(', ')}`)
  const wanted = symbolsOfShard(listedOrAsked, shard)
  if (wanted.length === 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `shard ${shardName(shard)} has none of the ${listedOrAsked.length} symbols: run fewer shards`)
  return new Map<string, SymbolInfo>(wanted.map((s) => [s, byName.get(s)!]))
}

/** The market streams of `symbols` (Binance names them `<symbol in lower case>@<kind>`), per symbol in order. */
export function feedStreams(symbols: Iterable<string>, kinds: ReadonlyArray<'trade' | 'bookTicker'>): string[] {
  return [...symbols].flatMap((s) => kinds.map((k) => `${s.toLowerCase()}@${k}`))
}
