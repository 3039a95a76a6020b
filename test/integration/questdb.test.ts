import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectQuestDb, ilpLine, type QuestDbClient } from '../../bench/peers/questdb-client'
import { createStack } from '../../stack/lib/manager'
import { allServices } from '../../stack/services'
import { eventually, stackConfig, uniqueName } from './helpers'

/**
 * QuestDB, the first peer of bench:peers, provisioned from Maven Central and started on demand
 * (the stack does not start it by default); stopped afterwards if this test started it. Trades
 * go in over its line protocol and come back as SAMPLE BY bars over REST.
 */
const config = stackConfig()
const stack = createStack(config, allServices, { line: () => undefined })
const table = uniqueName('k2_test_trades', '_')
let started = false
let db: QuestDbClient

beforeAll(async () => {
  const [state] = await stack.status(['questdb'])
  if (state!.state === 'down') {
    await stack.up(['questdb'])
    started = true
  }
  db = await connectQuestDb({ url: config.questdb.url, host: config.host, ilpPort: config.questdb.ilpPort })
}, 600_000)

afterAll(async () => {
  await db?.exec(`DROP TABLE IF EXISTS '${table}'`).catch(() => undefined)
  await db?.close()
  if (started) await stack.down(['questdb'])
}, 120_000)

describe('QuestDB (a peer, on demand)', () => {
  it('reports its version and listens on loopback only, on the two ports it was given', async () => {
    const [state] = await stack.status(['questdb'])
    expect(state!.state).toBe('up')
    expect(state!.version).toBe('9.2.0')
    const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' })
    const listening = ss.stdout
      .split('\n')
      .filter((line) => line.includes(`pid=${state!.pid},`))
      .map((line) => line.trim().split(/\s+/)[3]!)
      .sort()
    expect(listening).toEqual([`${config.host}:${config.questdb.httpPort}`, `${config.host}:${config.questdb.ilpPort}`].sort())
  })

  it('takes trades over its line protocol and answers SAMPLE BY bars like ours', async () => {
    const t0 = BigInt(Date.UTC(2026, 11, 5, 9, 0, 0)) * 1_000_000n // ns
    const prices = [101, 103, 99, 102, 104, 98, 100]
    let lines = ''
    prices.forEach((p, i) => {
      // Two trades a minute: 09:00 gets ids 1–2, 09:01 ids 3–4, …
      lines += ilpLine(table, { symbol: 'BTCUSDT' }, { trade_id: BigInt(i + 1), price: p, quantity: 0.5 }, t0 + BigInt(i) * 30_000_000_000n)
    })
    await db.write(lines)
    await eventually(async () => (await db.exec(`SELECT count() FROM '${table}'`).catch(() => ({ rows: [[0]] }))).rows[0]?.[0] === prices.length || undefined, 60_000, 'the trades to be committed')
    const bars = await db.exec(`SELECT timestamp, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close, count() AS trades FROM '${table}' WHERE symbol = 'BTCUSDT' SAMPLE BY 1m ALIGN TO CALENDAR`)
    expect(bars.rows.map((r) => r.slice(1))).toEqual([
      [101, 103, 101, 103, 2],
      [99, 102, 99, 102, 2],
      [104, 104, 98, 98, 2],
      [100, 100, 100, 100, 1],
    ])
    expect(bars.rows[0]![0]).toBe('2026-12-05T09:00:00.000000Z')
  })
})
