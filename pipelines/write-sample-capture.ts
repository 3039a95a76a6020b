/**
 * Writes `data/sample-capture.jsonl`: the start of the seeded synthetic market as Binance
 * combined-stream messages, one a line, for the replay exchange's capture mode and for tests.
 *
 *   node stack/bootstrap.cjs pipelines/write-sample-capture.ts [out-file] [max-bytes]
 *
 * Deterministic: seed 1, market start 2026-01-01T00:00:00Z, six symbols chosen for their
 * different price scales; the same command always writes the same bytes.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { errorMessage, projectRoot } from '../lib/index'
import { captureLine, createSyntheticMarket } from '../lib/index'

const symbols = new Set(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'PEPEUSDT', 'BTCFDUSD', 'ETHBTC'])

function main(): void {
  const out = path.resolve(process.argv[2] ?? path.join(projectRoot, 'data', 'sample-capture.jsonl'))
  const maxBytes = Number(process.argv[3] ?? 190_000)
  const market = createSyntheticMarket({ seed: 1, startTimeMs: Date.UTC(2026, 0, 1) })
  const lines: string[] = []
  let bytes = 0
  for (;;) {
    const ev = market.next()
    if (!symbols.has(ev.symbol)) continue
    const line = captureLine(ev) + '\n'
    if (bytes + line.length > maxBytes) break
    lines.push(line)
    bytes += line.length
  }
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, lines.join(''))
  process.stdout.write(`wrote ${lines.length} messages (${bytes} bytes) to ${out}\n`)
}

try {
  main()
} catch (err) {
  process.stderr.write(`write-sample-capture failed: ${errorMessage(err)}\n`)
  process.exit(1)
}
