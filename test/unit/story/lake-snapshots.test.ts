import { describe, expect, it } from 'vitest'
import { story, tradeSchema, type SnapshotInfo, type WorkbenchConfig } from '../../../lib/internal'

const snapshot = (id: number, atMs: number, extra: Partial<SnapshotInfo> = {}): SnapshotInfo => ({
  snapshotId: BigInt(id),
  parentId: undefined,
  timestampMs: atMs,
  operation: 'append',
  addedRecords: 10,
  totalRecords: 100,
  addedFiles: 1,
  totalFiles: 4,
  totalFilesBytes: 800,
  current: false,
  offsets: { 0: 7n, 1: 9n },
  ...extra,
})

describe('the lake as the story shows it', () => {
  it('counts data files per partition, in partition order, from their paths', () => {
    const files = ['s3://w/t/data/event_day=2026-12-05/symbol_bucket=3/a.parquet', 's3://w/t/data/event_day=2026-12-05/symbol_bucket=10/b.parquet', 's3://w/t/data/event_day=2026-12-05/symbol_bucket=3/c.parquet', 'elsewhere.parquet']
    expect(story.partitionFileRows(files)).toEqual([
      { partition: 'day ? · bucket ?', 'data files': 1 },
      { partition: 'day 2026-12-05 · bucket 10', 'data files': 1 },
      { partition: 'day 2026-12-05 · bucket 3', 'data files': 2 },
    ])
  })

  it('shows each snapshot with the Kafka offsets it holds', () => {
    const [row] = story.snapshotDetailRows([snapshot(42, 0)])
    expect(row).toMatchObject({ snapshot: 42n, operation: 'append', 'added records': 10, 'total records': 100, 'added files': 1, 'total files': 4, 'Kafka offsets held': '0:7 1:9' })
  })

  it('prices a trade on disk: JSON frames of the capture against the current snapshot', () => {
    const capture = ['{"stream":"btcusdt@trade","data":{}}', '{"stream":"btcusdt@bookTicker","data":{}}', '{"stream":"ethusdt@trade","data":{"x":1}}', ''].join('\n')
    expect(story.jsonBytesPerTrade(capture)).toBe((36 + 41) / 2)
    expect(story.parquetBytesPerTrade([snapshot(1, 0), snapshot(2, 1, { current: true, totalFilesBytes: 750, totalRecords: 100 })])).toBe(7.5)
    expect(story.parquetBytesPerTrade([])).toBeNaN()
    expect(story.bytesPerTradeChart({ json: 150, parquet: 7.5 }).title).toBe('Bytes per trade: 20.0× smaller in the lake')
  })

  it('waits for a commit made after the story started, on the configured namespace', async () => {
    const asked: string[] = []
    let reads = 0
    const stack = {
      config: { sink: { namespace: 'market' } } as WorkbenchConfig,
      waitFor: async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
        asked.push(what)
        for (;;) {
          const v = await check()
          if (v !== undefined) return v
        }
      },
    }
    const engine = { refresh: async () => undefined, snapshots: async () => (++reads < 3 ? [snapshot(1, 500)] : [snapshot(1, 500), snapshot(2, 2000)]) }
    const got = await story.commitsSince(stack, engine, 'trades', 1000)
    expect(got.map((s) => s.snapshotId)).toEqual([1n, 2n])
    expect(reads).toBe(3)
    expect(asked).toEqual(['a commit to market.trades made after this notebook started'])
  })

  it('lists the trade schema with its types in words', () => {
    const schema = story.schemaFields(tradeSchema)
    expect(schema.name).toBe('Trade')
    const type = (field: string): string | undefined => schema.rows.find((r) => r.field === field)?.type
    expect(type('price')).toBe('bytes (decimal 18,8)')
    expect(type('timestamp')).toBe('long (timestamp-micros)')
    expect(type('side')).toBe('enum BUY/SELL')
    expect(type('trade_conditions')).toBe('array<string>')
    expect(type('vendor_data')).toBe('map')
    expect(story.avroTypeName(['null', { type: 'long', logicalType: 'timestamp-micros' }])).toBe('null | long (timestamp-micros)')
  })
})
