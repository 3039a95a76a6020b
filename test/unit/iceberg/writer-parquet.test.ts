import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { ErrorCode, createParquetDataWriter, decodeSingleValue, tradesTable, type Trade } from '../../../lib/internal'
import { stagedDecimalUnscaled as decimalUnscaled } from '../../../lib/internal'

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

  it('keeps decimals exact through a write and a compaction, with their bounds, and refuses one it would round', async () => {
    const duck = await DuckDBInstance.create(':memory:', { threads: '1' })
    const connection = await duck.connect()
    const writer = await createParquetDataWriter({ connection, schema: tradesTable.schema, spec: tradesTable.spec, sortOrder: tradesTable.sortOrder, workDir: work })
    const rows = trades(['BTCUSDT'], 3)
    const prices = ['67012.5', '0.00000001', '9999999999.99999999']
    const quantities = ['123456789012345678901234567890.12345678', '0', '1.10000000000']
    rows.forEach((t, i) => Object.assign(t, { price: prices[i], quantity: quantities[i] }))
    writer.append(rows.map((t) => tradesTable.row(t)))
    const [file] = await writer.writeFiles()
    const read = async (p: string): Promise<string[]> =>
      (await connection.runAndReadAll(`SELECT price::VARCHAR AS p, quantity::VARCHAR AS q FROM read_parquet('${p}') ORDER BY price`)).getRowObjects().map((r) => `${String(r.p)} ${String(r.q)}`)
    const expected = ['0.00000001 0.00000000', '67012.50000000 123456789012345678901234567890.12345678', '9999999999.99999999 1.10000000']
    expect(await read(file!.localPath)).toEqual(expected)
    // Bounds are the decimals themselves (Iceberg single values: unscaled, big-endian).
    const priceId = tradesTable.schema.fields.find((f) => f.name === 'price')!
    expect(decodeSingleValue(priceId.type as string, file!.dataFile.lowerBounds!.get(priceId.id)!)).toBe(1n)
    expect(decodeSingleValue(priceId.type as string, file!.dataFile.upperBounds!.get(priceId.id)!)).toBe(999999999999999999n)
    // Compaction stages the written file and writes it again: the same values.
    await writer.stageParquet([file!.localPath], file!.dataFile.partition)
    const [again] = await writer.writeFiles()
    expect(await read(again!.localPath)).toEqual(expected)
    // A value the column would have to round is refused, not rounded.
    const bad = trades(['BTCUSDT'], 1).map((t) => ({ ...t, price: '1.123456789' }))
    expect(() => writer.append(bad.map((t) => tradesTable.row(t)))).toThrow(expect.objectContaining({ code: ErrorCode.RecordInvalid }))
    await writer.close()
    connection.closeSync()
    duck.closeSync()
  })
})

describe('decimalUnscaled', () => {
  it.each([
    ['67012.5', 18, 8, 6701250000000n],
    ['-0.5', 18, 8, -50000000n],
    ['007', 5, 2, 700n],
    ['1.2300', 5, 2, 123n],
    [123n, 5, 2, 123n],
  ] as const)('%s as decimal(%i,%i) is %s unscaled', (v, p, s, want) => expect(decimalUnscaled(v, p, s)).toBe(want))

  it.each([
    ['1.234', 5, 2, 'will not round'],
    ['1e5', 18, 8, 'not a plain decimal'],
    [1.5, 18, 8, 'expected an exact decimal string'],
    ['1000', 5, 2, '4 integer digits; decimal(5,2) allows at most 3'],
    [100000n, 5, 2, 'more than the 5 digits'],
  ] as const)('refuses %s as decimal(%i,%i): %s', (v, p, s, why) => {
    expect(() => decimalUnscaled(v, p, s)).toThrow(why)
  })
})
