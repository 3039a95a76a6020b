/**
 * The committed benchmarks as the story quotes them: the single-machine ceiling stage by stage,
 * and the peers' systems (load time, bytes per trade, memory, exact decimals). Pure.
 */
import type { MachineCeiling, PeerSystem } from '../cost/index'

/** The ceiling as a table with its caption (the machine, the date, what shared it). */
export function ceilingTable(c: MachineCeiling): { readonly rows: Array<{ readonly stage: string; readonly 'trades/s': number }>; readonly caption: string } {
  return {
    rows: [
      { stage: 'exchange → Kafka (ingest, acks=all, transactions)', 'trades/s': c.ingestTradesPerSecond },
      { stage: 'Kafka backlog → committed Iceberg snapshots (sink)', 'trades/s': c.sinkBacklogTradesPerSecond },
      { stage: 'exchange → lake, live end to end', 'trades/s': c.liveCommittedTradesPerSecond },
    ],
    caption: `one machine: ${c.machine.cpu}, ${c.machine.cores} cores, ${c.machine.memoryGiB} GiB (${c.generatedAt.slice(0, 10)}), sharing it with Kafka, MinIO and the catalog`,
  }
}

/** Each peer system: version, load time, bytes per trade, peak memory, exact decimals or not. */
export function peerSystemRows(systems: readonly PeerSystem[]): Array<Readonly<Record<string, string | number | null>>> {
  return systems.map((s) => ({ system: s.system, version: s.version, 'load s': s.loadSeconds, 'bytes/trade': s.bytesPerTrade, 'peak MiB': s.peakRssMiB, decimals: s.exactDecimals ? 'exact' : 'float64' }))
}
