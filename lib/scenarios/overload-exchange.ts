/**
 * The overload demo's exchange, in a process of its own as a real exchange is: a synthetic market
 * behind the replay exchange. Prints `{"url","restUrl"}` as its first stdout line once listening,
 * then takes `{"rate": n}` lines on stdin; exits when stdin closes (its parent gone).
 * Run: `node --import tsx lib/scenarios/overload-exchange.ts <seed> <rate>`.
 */
import * as readline from 'node:readline'
import { createReplayExchange } from '../feed/replay-exchange-server'
import { createSyntheticMarket } from '../feed/synthetic-market'
import { silentLogger } from '../logger/index'

async function main(): Promise<void> {
  const seed = Number(process.argv[2] ?? 17)
  const rate = Number(process.argv[3] ?? 4)
  // A whole run's trades stay in the REST history, so no gap is ever unrepairable.
  const market = createSyntheticMarket({ seed, historyPerSymbol: 2_000_000 })
  const exchange = createReplayExchange({ market, seed, rate }, { logger: silentLogger })
  await exchange.start()
  process.stdout.write(`${JSON.stringify({ url: exchange.url, restUrl: exchange.restUrl })}\n`)
  const lines = readline.createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    const next = Number((JSON.parse(line) as { rate?: unknown }).rate)
    if (next > 0) exchange.setRate(next)
  })
  lines.on('close', () => void exchange.close().finally(() => process.exit(0)))
}

main().catch((err: unknown) => {
  process.stderr.write(`overload exchange failed: ${String(err)}\n`)
  process.exit(1)
})
