import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { requireSecret, type WorkbenchConfig } from '../../lib'

/**
 * Sources of truth that share no code with what a test checks: the replay exchange's own tape,
 * read over its REST API with plain fetch, and the lake read by pyiceberg
 * (test/interop/lake_digest.py), not by the workbench's reader. Records are compared in one
 * canonical form, `SYMBOL|ID|DECIMAL|DECIMAL|MICROS` (trades: price and quantity; quotes: bid and
 * ask), decimals as exact fixed-point strings at the lake's scale (8).
 */
export interface Content {
  /** symbol → ids, ascending. */
  readonly ids: Map<string, bigint[]>
  /** SHA-256 over the canonical lines, sorted, each ending in a newline. */
  readonly hash: string
  readonly records: number
}

/** Content from canonical lines. */
export function contentOf(lines: readonly string[]): Content {
  const ids = new Map<string, bigint[]>()
  for (const line of lines) {
    const [symbol, id] = line.split('|', 2) as [string, string]
    let list = ids.get(symbol)
    if (!list) ids.set(symbol, (list = []))
    list.push(BigInt(id))
  }
  for (const list of ids.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const h = createHash('sha256')
  for (const l of [...lines].sort()) h.update(`${l}\n`)
  return { ids, hash: h.digest('hex'), records: lines.length }
}

/** A table as pyiceberg reads it at its current snapshot. */
export async function lakeDigest(config: WorkbenchConfig, namespace: string, table: 'trades' | 'quotes'): Promise<Content & { snapshot: bigint | null }> {
  const python = path.join(config.paths.cache, 'jupyter', 'venv', 'bin', 'python')
  const script = path.join(config.paths.root, 'test', 'interop', 'lake_digest.py')
  const { stdout } = await promisify(execFile)(python, [script, config.catalog.url, config.s3.endpoint, namespace, table], {
    env: { ...process.env, K2_S3_ACCESS_KEY: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'), K2_S3_SECRET_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY') },
    maxBuffer: 256 * 2 ** 20,
    timeout: 300_000,
  })
  // Ids as text first: a 64-bit id must not pass through a JS number.
  const out = JSON.parse(stdout.replace(/(?<=[[,\s])(\d{16,})(?=[,\]\s])/g, '"$1"')) as { rows: number; snapshot: string | number | null; ids: Record<string, Array<string | number>>; hash: string }
  const ids = new Map(Object.entries(out.ids).map(([s, list]) => [s, list.map((i) => BigInt(i))] as const))
  return { ids, hash: out.hash, records: out.rows, snapshot: out.snapshot === null ? null : BigInt(out.snapshot) }
}

/**
 * The replay exchange's tape of `symbol` from trade `fromId` through `toId`, in canonical lines,
 * paged over `GET /api/v3/historicalTrades` in µs (X-MBX-TIME-UNIT). Throws if the history no
 * longer reaches back to `fromId`, or the tape has not reached `toId`.
 */
export async function tapeTrades(restUrl: string, symbol: string, fromId: bigint, toId: bigint): Promise<string[]> {
  const lines: string[] = []
  let next = fromId
  while (next <= toId) {
    const res = await fetch(`${restUrl}/api/v3/historicalTrades?symbol=${symbol}&fromId=${next}&limit=1000`, { headers: { 'X-MBX-TIME-UNIT': 'MICROSECOND' } })
    if (!res.ok) throw new Error(`${symbol} tape from ${next}: ${res.status} ${await res.text()}`)
    const page = (await res.json()) as Array<{ id: number; price: string; qty: string; time: number }>
    if (page.length === 0) throw new Error(`${symbol}: the tape ends before trade ${toId} (next ${next})`)
    if (BigInt(page[0]!.id) !== next) throw new Error(`${symbol}: asked the tape for trade ${next}, it answered from ${page[0]!.id} (history too short?)`)
    for (const t of page) {
      const id = BigInt(t.id)
      if (id > toId) break
      lines.push(`${symbol}|${id}|${t.price}|${t.qty}|${t.time}`)
    }
    next = BigInt(page.at(-1)!.id) + 1n
  }
  return lines
}
