import { DuckDBInstance } from '@duckdb/node-api'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createWarehouseStore, requireSecret } from '../../lib/internal'
import { ensurePeersPython, runPeerScript } from '../../stack/lib/peers-python'
import { scratchDir, stackConfig, uniqueName } from './helpers'

/**
 * The Python peers of bench:peers (issue 19), provisioned on demand into their own venv: chDB
 * reads a Parquet file of ours with exact decimals, and ArcticDB keeps trades on our MinIO bucket
 * through its S3 backend, under a prefix of this test's that is empty again afterwards.
 */
const config = stackConfig()

describe('the Python peers (chDB, ArcticDB)', () => {
  it('read our Parquet exactly and keep trades on our object store', async () => {
    const python = await ensurePeersPython(config, { line: () => undefined })
    const dir = scratchDir('peers')
    fs.mkdirSync(dir, { recursive: true })
    const parquet = path.join(dir, 'trades.parquet')
    const duck = await DuckDBInstance.create(':memory:')
    const conn = await duck.connect()
    // Values a double cannot hold: 0.1 + 0.2 and a 20-digit quantity.
    await conn.run(`COPY (SELECT * FROM (VALUES
        ('BTCUSDT', 1::BIGINT, TIMESTAMPTZ '2026-12-05 09:00:00.000001+00', 67012.50000001::DECIMAL(18, 8), 0.10000000::DECIMAL(38, 8)),
        ('BTCUSDT', 2::BIGINT, TIMESTAMPTZ '2026-12-05 09:00:00.000002+00', 67012.50000002::DECIMAL(18, 8), 0.20000000::DECIMAL(38, 8)),
        ('DOGEUSDT', 1::BIGINT, TIMESTAMPTZ '2026-12-05 09:00:01+00', 0.12345678::DECIMAL(18, 8), 123456789012.12345678::DECIMAL(38, 8))
      ) t(symbol, trade_id, event_time, price, quantity)) TO '${parquet}' (FORMAT parquet)`)
    conn.closeSync()
    duck.closeSync()

    const prefix = uniqueName('k2-test-peers')
    const env = { ...process.env, K2_S3_ACCESS_KEY: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'), K2_S3_SECRET_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY') }
    const endpoint = new URL(config.s3.endpoint)
    const script = path.join(config.paths.root, 'bench', 'peers', 'peers_smoke.py')
    const out = await runPeerScript<{ chdbRows: unknown[][]; arcticdbRows: number; arcticdbFirst: { symbol: string; price: string }; arcticdbLibrariesAfter: string[] }>(
      python,
      script,
      { parquet, s3: { host: endpoint.hostname, port: Number(endpoint.port), bucket: config.s3.bucket, prefix } },
      env,
    )
    expect(out.chdbRows).toEqual([
      ['BTCUSDT', '0.3', '67012.50000002', 2],
      ['DOGEUSDT', '123456789012.12345678', '0.12345678', 1],
    ])
    expect(out.arcticdbRows).toBe(3)
    expect(out.arcticdbFirst).toEqual({ symbol: 'BTCUSDT', price: '67012.50000001' })
    expect(out.arcticdbLibrariesAfter).toEqual([])

    // Nothing of the test's is left on the bucket.
    const store = createWarehouseStore(config)
    try {
      expect(await store.list(`${prefix}/`)).toEqual([])
    } finally {
      store.close()
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }, 600_000)
})
