import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { createParquetDataWriter, tradesTable, type Trade } from '../../../lib'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-writer-test-'))
afterAll(() => fs.rmSync(work, { recursive: true, force: true }))

function trades(symbols: readonly string[], perSymbol: number): Trade[] {
  const start = BigInt(Date.UTC(2026, 11, 3, 23, 59, 59)) * 1000n
  const out: Trade[] = []
  // Newest first and across midnight: the files must come out sorted, per day and bucket.
  for (let i = perSymbol - 1; i >= 0; i--) {
    for (const symbol of symbols) {
      const id = BigInt(i + 1)
      out.push({ messageId: `BINANCE:${symbol}:${id}`, tradeId: id, symbol, exchange: 'BINANCE', assetClass: 'crypto', timestampMicros: start + BigInt(i) * 10_000n, price: '1.5', quantity: '2', currency: 'USDT', side: 'BUY', tradeConditions: [], sourceSequence: id, ingestionTimestampMicros: start, platformSequence: id, vendorData: {} })
    }
  }
  return out
}

describe('Parquet data writer', () => {
  it('writes one sorted file per partition with its counts, all partitions at once', async () => {
    const duck = await DuckDBInstance.create(':memory:', { threads: '1' })
    const connection = await duck.connect()
    const writer = await createParquetDataWriter({ connection, schema: tradesTable.schema, spec: tradesTable.spec, sortOrder: tradesTable.sortOrder, workDir: work })
    const symbols = Array.from({ length: 40 }, (_, i) => `S${i}USDT`)
    const rows = trades(symbols, 300)
    writer.append(rows.map((t) => tradesTable.row(t)))
    const files = await writer.writeFiles()
    expect(writer.stagedRows).toBe(0)
    // Two days (the batch crosses midnight) × the buckets the 40 symbols hash to.
    const partitions = new Set(files.map((f) => JSON.stringify(f.dataFile.partition)))
    expect(partitions.size).toBe(files.length)
    expect(new Set(files.map((f) => f.dataFile.partition[0])).size).toBe(2)
    expect(files.reduce((n, f) => n + f.dataFile.recordCount, 0n)).toBe(BigInt(rows.length))
    for (const f of files) {
      const read = await connection.runAndReadAll(`SELECT symbol, epoch_us(event_time) AS us FROM read_parquet('${f.localPath}')`)
      const got = read.getRowObjects().map((r) => [String(r.symbol), BigInt(r.us as bigint)] as const)
      expect(BigInt(got.length)).toBe(f.dataFile.recordCount)
      const sorted = [...got].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      expect(got).toEqual(sorted)
      expect(f.relativePath).toMatch(/^event_day=2026-12-0[34]\/symbol_bucket=\d+\/[0-9a-f-]+\.parquet$/)
    }
    await writer.close()
    connection.closeSync()
    duck.closeSync()
  })
})
