import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import {
  appendFiles,
  createSeededRandom,
  createParquetDataWriter,
  ensureTable,
  formatDecimal8,
  schemaById,
  type DataFile,
  type FileIO,
  type Quote,
  type RestCatalogClient,
  type TableDesign,
  type Trade,
} from '../lib/internal'

/**
 * The benchmarks' synthetic market (bench:query, bench:peers): 20 symbols with Zipf-like activity,
 * prices as random walks in units of 10⁻⁸, seeded, and a bulk writer that puts it into a lake
 * table through the sink's own Parquet writer and commits.
 */

const say = (msg: string): boolean => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`)

export const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT', 'AVAXUSDT', 'LINKUSDT', 'DOTUSDT', 'TRXUSDT', 'POLUSDT', 'LTCUSDT', 'SHIBUSDT', 'UNIUSDT', 'ATOMUSDT', 'ETCUSDT', 'XLMUSDT', 'NEARUSDT', 'APTUSDT']
const basePrice = [67000, 3500, 150, 600, 0.6, 0.15, 0.45, 35, 15, 7, 0.12, 0.5, 80, 0.00002, 8, 9, 25, 0.1, 5, 9]
// Zipf-like activity: BTC trades most.
const weights = symbols.map((_, i) => 1 / (i + 1))
const cumulative = weights.map((_, i) => weights.slice(0, i + 1).reduce((a, b) => a + b, 0) / weights.reduce((a, b) => a + b, 0))

/** Uniform in [0, 1) from `seed`: lib's seeded source, so a fixture replays from its seed. */
function seeded(seed: number): () => number {
  const random = createSeededRandom(seed)
  return () => random.float()
}

/** Synthetic market state: price units (10⁻⁸) per symbol and the next trade id. */
export function createMarket(seed: number): { trade(at: bigint): Trade; quote(at: bigint): Quote; nextIds: number[] } {
  const rnd = seeded(seed)
  const units = basePrice.map((p) => Math.max(1, Math.round(p * 1e8)))
  const nextIds = symbols.map(() => 1)
  let seq = 0n
  const pick = (): number => {
    const r = rnd()
    return cumulative.findIndex((c) => r <= c)
  }
  const step = (k: number): number => {
    units[k] = Math.max(1, Math.round(units[k]! * (1 + (rnd() - 0.5) * 0.0004)))
    return units[k]!
  }
  return {
    nextIds,
    trade(at) {
      const k = pick()
      const id = BigInt(nextIds[k]!++)
      const symbol = symbols[k]!
      return {
        messageId: `BINANCE:${symbol}:${id}`,
        tradeId: id,
        symbol,
        exchange: 'BINANCE',
        assetClass: 'crypto',
        timestampMicros: at,
        price: formatDecimal8(step(k), 8),
        quantity: formatDecimal8(1 + Math.floor(rnd() * 5e8), 8),
        currency: 'USDT',
        side: rnd() < 0.5 ? 'BUY' : 'SELL',
        tradeConditions: [],
        sourceSequence: id,
        ingestionTimestampMicros: at + 800n,
        platformSequence: seq++,
        vendorData: {},
      }
    },
    quote(at) {
      const k = pick()
      const mid = step(k)
      const half = Math.max(1, Math.round(mid * 0.00005))
      const symbol = symbols[k]!
      return {
        messageId: `BINANCE:${symbol}:q${seq}`,
        updateId: seq,
        symbol,
        exchange: 'BINANCE',
        assetClass: 'crypto',
        timestampMicros: at,
        bidPrice: formatDecimal8(Math.max(1, mid - half), 8),
        bidSize: formatDecimal8(1 + Math.floor(rnd() * 1e9), 8),
        askPrice: formatDecimal8(mid + half, 8),
        askSize: formatDecimal8(1 + Math.floor(rnd() * 1e9), 8),
        currency: 'USDT',
        ingestionTimestampMicros: at + 800n,
        platformSequence: seq++,
        vendorData: {},
      }
    },
  }
}

/** Writes `count` records spread evenly over [fromMicros, toMicros) as appends of `chunk` rows. */
export async function bulkLoad<R>(catalog: RestCatalogClient, io: FileIO, duck: DuckDBConnection, namespace: string, design: TableDesign<R>, count: number, fromMicros: bigint, toMicros: bigint, make: (at: bigint) => R): Promise<void> {
  const loaded = await ensureTable(catalog, namespace, design.name, design)
  const meta = loaded.metadata
  const schema = schemaById(meta)
  const spec = meta['partition-specs'].find((s) => s['spec-id'] === meta['default-spec-id'])!
  const sortOrder = meta['sort-orders'].find((s) => s['order-id'] === meta['default-sort-order-id']) ?? design.sortOrder
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-bench-query-'))
  const writer = await createParquetDataWriter({ connection: duck, schema, spec, sortOrder, workDir })
  const location = meta.location.replace(/\/+$/, '')
  const chunk = 1_000_000
  const span = toMicros - fromMicros
  const started = Date.now()
  for (let done = 0; done < count; done += chunk) {
    const n = Math.min(chunk, count - done)
    for (let i = 0; i < n; i += 50_000) {
      const rows: unknown[][] = []
      for (let j = i; j < Math.min(n, i + 50_000); j++) rows.push(design.row(make(fromMicros + (span * BigInt(done + j)) / BigInt(count))))
      writer.append(rows)
    }
    const written = await writer.writeFiles()
    const files: DataFile[] = await Promise.all(
      written.map(async (w) => {
        const filePath = `${location}/data/${w.relativePath}`
        await io.write(filePath, fs.readFileSync(w.localPath))
        fs.rmSync(w.localPath, { force: true })
        return { ...w.dataFile, filePath }
      }),
    )
    await appendFiles({ catalog, io, namespace: [namespace], name: design.name }, files, { 'k2.bench': 'bulk' })
    say(`${design.name}: ${(done + n).toLocaleString('en')} of ${count.toLocaleString('en')} written (${Math.round((done + n) / ((Date.now() - started) / 1000)).toLocaleString('en')}/s)`)
  }
  await writer.close()
  fs.rmSync(workDir, { recursive: true, force: true })
}
