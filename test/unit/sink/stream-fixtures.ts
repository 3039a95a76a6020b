import type { LoadedTable } from '../../../lib/internal'
import type { SortOrder, TableMetadata } from '../../../lib/internal'
import type { TableHandle } from '../../../lib/internal'
import { tradesTable } from '../../../lib/internal'
import type { ParquetDataWriter } from '../../../lib/internal'
import type { Trade } from '../../../lib/internal'
import { openStream, type SinkStream } from '../../../lib/internal'
import { offsetsSummary } from '../../../lib/internal'

/** A writer that keeps the rows it is given in memory. */
export interface MemoryWriter extends ParquetDataWriter {
  readonly rows: ReadonlyArray<readonly unknown[]>
}

export function memoryWriter(): MemoryWriter {
  let rows: Array<readonly unknown[]> = []
  return {
    get rows() {
      return rows
    },
    get stagedRows() {
      return rows.length
    },
    append(more) {
      rows.push(...more)
    },
    stageParquet: async () => undefined,
    writeFiles: async () => {
      rows = []
      return []
    },
    clear: async () => {
      rows = []
    },
    close: async () => undefined,
  }
}

/** The trades table as the catalog would return it, holding `offsets` of `topic` (nothing when empty). */
export function tableAt(topic: string, offsets: ReadonlyMap<number, bigint>, sortOrders: readonly SortOrder[] = []): LoadedTable {
  const snapshots = offsets.size === 0 ? [] : [{ 'snapshot-id': 7n, 'sequence-number': 7n, 'timestamp-ms': 0, 'manifest-list': 'm7', summary: { operation: 'append', ...offsetsSummary(topic, offsets) } }]
  const metadata = {
    'format-version': 2,
    location: 's3://warehouse/market/trades',
    schemas: [tradesTable.schema],
    'current-schema-id': tradesTable.schema['schema-id'],
    'partition-specs': [tradesTable.spec],
    'default-spec-id': tradesTable.spec['spec-id'],
    'sort-orders': sortOrders,
    'default-sort-order-id': sortOrders[0]?.['order-id'] ?? 0,
    snapshots,
    refs: snapshots.length === 0 ? {} : { main: { 'snapshot-id': 7n, type: 'branch' } },
  } as unknown as TableMetadata
  return { 'metadata-location': 's3://warehouse/market/trades/metadata/v7.metadata.json', metadata }
}

/** A trades stream of `topic` opened on a table holding `held`, with its two writers. */
export async function tradesStream(topic: string, held: ReadonlyMap<number, bigint>, deferred = false): Promise<{ s: SinkStream<Trade>; writers: MemoryWriter[] }> {
  const writers: MemoryWriter[] = []
  const table = { name: 'trades', namespace: ['market'] } as unknown as TableHandle
  const source = { kind: 'trades' as const, topic, deferred, design: tradesTable, decode: async (): Promise<Trade> => Promise.reject(new Error('not decoded here')) }
  const s = await openStream(source, table, tableAt(topic, held), async () => {
    const w = memoryWriter()
    writers.push(w)
    return w
  })
  return { s, writers }
}
