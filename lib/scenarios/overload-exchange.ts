/**
 * The overload demo's exchange, run in a process of its own as a real exchange is: a synthetic
 * market behind the replay exchange. The demo starts a child process that calls
 * `serveOverloadExchange` (see overload-demo.ts); loading this module starts nothing.
 */
import * as readline from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { createReplayExchange } from '../feed/replay-exchange-server'
import { createSyntheticMarket } from '../feed/synthetic-market'
import { silentLogger } from '../logger/index'

/** Where the exchange reads its rate changes and writes its addresses: the process's stdin and stdout. */
export interface OverloadExchangeIo {
  readonly input: Readable
  readonly output: Writable
}

/**
 * Serves the demo's market at `rate`. Writes `{"url","restUrl"}` as its first output line once
 * listening, then takes `{"rate": n}` lines; resolves once the input closes (its parent gone) and
 * the exchange has closed.
 */
export async function serveOverloadExchange(seed: number, rate: number, io: OverloadExchangeIo): Promise<void> {
  // A whole run's trades stay in the REST history, so no gap is ever unrepairable.
  const market = createSyntheticMarket({ seed, historyPerSymbol: 2_000_000 })
  const exchange = createReplayExchange({ market, seed, rate }, { logger: silentLogger })
  await exchange.start()
  io.output.write(`${JSON.stringify({ url: exchange.url, restUrl: exchange.restUrl })}\n`)
  const lines = readline.createInterface({ input: io.input })
  lines.on('line', (line) => {
    const next = Number(parseRateLine(line))
    if (next > 0) exchange.setRate(next)
  })
  await new Promise<void>((resolve) => lines.once('close', resolve))
  await exchange.close()
}

/** The rate a control line asks for, or undefined for a line that is not `{"rate": n}`. */
function parseRateLine(line: string): unknown {
  try {
    return (JSON.parse(line) as { rate?: unknown }).rate
  } catch {
    return undefined
  }
}
