import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as path from 'node:path'
import { promisify } from 'node:util'
import type { Kafka } from 'kafkajs'
import { requireSecret, type RecordSerde, type WorkbenchConfig } from '../../lib/internal'
import { writeReliabilityRecord, type ReliabilityEntry } from '../../stack/lib/reliability-report'
import { readTopic, stackConfig } from './helpers'

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
  /** The canonical lines, sorted, where the content was built from them (for a difference's message). */
  readonly lines?: readonly string[]
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
  const sorted = [...lines].sort()
  for (const l of sorted) h.update(`${l}\n`)
  return { ids, hash: h.digest('hex'), records: lines.length, lines: sorted }
}

/** A table as pyiceberg reads it at its current snapshot. */
export async function lakeDigest(config: WorkbenchConfig, namespace: string, table: string, other?: { kind: 'trades' | 'quotes'; timeColumn: string }): Promise<Content & { snapshot: bigint | null }> {
  const python = path.join(config.paths.cache, 'jupyter', 'venv', 'bin', 'python')
  const script = path.join(config.paths.root, 'test', 'interop', 'lake_digest.py')
  const { stdout } = await promisify(execFile)(python, [script, config.catalog.url, config.s3.endpoint, namespace, table, ...(other ? [other.kind, other.timeColumn] : [])], {
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

/**
 * Fails unless `actual` holds exactly `expected`'s records, value for value. On a difference it
 * says, per symbol, how many ids are missing or extra (and the first few), or that the ids agree
 * and the values do not.
 */
export function sameContent(actual: Content, expected: Content): { ok: true } | { ok: false; why: string } {
  if (actual.hash === expected.hash && actual.records === expected.records) return { ok: true }
  const out: string[] = []
  for (const symbol of new Set([...actual.ids.keys(), ...expected.ids.keys()])) {
    const a = new Set((actual.ids.get(symbol) ?? []).map(String))
    const e = new Set((expected.ids.get(symbol) ?? []).map(String))
    const missing = [...e].filter((id) => !a.has(id))
    const extra = [...a].filter((id) => !e.has(id))
    const twice = (actual.ids.get(symbol)?.length ?? 0) - a.size
    if (missing.length + extra.length + twice > 0) out.push(`${symbol}: ${missing.length} missing (${missing.slice(0, 3).join(', ')}), ${extra.length} extra (${extra.slice(0, 3).join(', ')}), ${twice} twice`)
  }
  if (out.length === 0 && actual.lines && expected.lines) {
    const want = new Set(expected.lines)
    const got = new Set(actual.lines)
    const wrong = actual.lines.filter((l) => !want.has(l))
    out.push(`the same ids, ${wrong.length} of ${actual.records} records with other values: ${wrong.slice(0, 3).join(', ')} where the truth has ${expected.lines.filter((l) => !got.has(l)).slice(0, 3).join(', ')}`)
  }
  return { ok: false, why: out.length > 0 ? out.join('; ') : `the same ids, ${actual.records} records, but different values (hash ${actual.hash.slice(0, 12)} vs ${expected.hash.slice(0, 12)})` }
}

/** How `actual` falls short of `expected`: ids lost, ids held twice or not in the truth, and whether the values differ. */
export function lossOf(actual: Content, expected: Content): { checked: number; lost: number; duplicated: number; valuesDiffer: boolean } {
  let lost = 0
  let duplicated = 0
  for (const symbol of new Set([...actual.ids.keys(), ...expected.ids.keys()])) {
    const got = actual.ids.get(symbol) ?? []
    const a = new Set(got.map(String))
    const e = new Set((expected.ids.get(symbol) ?? []).map(String))
    for (const id of e) if (!a.has(id)) lost++
    for (const id of a) if (!e.has(id)) duplicated++
    duplicated += got.length - a.size
  }
  return { checked: expected.records, lost, duplicated, valuesDiffer: lost === 0 && duplicated === 0 && actual.hash !== expected.hash }
}

/**
 * Leaves this test's reliability record (stack/lib/reliability-report.ts) for `npm run
 * reliability`: called after the comparison with the oracle and before the assertions on it, so
 * a failing run is recorded too.
 */
export function recordReliability(test: string, entries: ReliabilityEntry[], oracle: string, outcome: { checked: number; lost: number; duplicated: number; valuesDiffer?: boolean; unanswered?: number }): void {
  writeReliabilityRecord(stackConfig().paths.state, { test, at: new Date().toISOString(), entries: entries.filter((e) => e.count > 0), oracle, ...outcome })
}

/** The trades `topics` hold together (read_committed, to each partition's last stable offset), in canonical form. */
export async function topicTrades(kafka: Kafka, serde: RecordSerde, topics: readonly string[]): Promise<Content> {
  const lines: string[] = []
  for (const topic of topics) {
    for (const m of await readTopic(kafka, topic)) {
      const t = await serde.deserializeTrade(m.value)
      lines.push([t.symbol, t.tradeId, t.price, t.quantity, t.timestampMicros].join('|'))
    }
  }
  return contentOf(lines)
}

/** The quotes `topic` holds (read_committed), in canonical form (bid and ask as the two decimals). */
export async function topicQuotes(kafka: Kafka, serde: RecordSerde, topic: string): Promise<Content> {
  const lines: string[] = []
  for (const m of await readTopic(kafka, topic)) {
    const q = await serde.deserializeQuote(m.value)
    lines.push([q.symbol, q.updateId, q.bidPrice, q.askPrice, q.timestampMicros].join('|'))
  }
  return contentOf(lines)
}

/** The exchange's tape over the same stretch as `content`: each symbol's trades from its first id in `content` to its last. */
export async function tapeOver(restUrl: string, content: Content): Promise<Content> {
  const lines: string[] = []
  // One by one: spreading a symbol's whole tape into push() overflowed the stack past ~100k trades.
  for (const [symbol, ids] of content.ids) for (const line of await tapeTrades(restUrl, symbol, ids[0]!, ids.at(-1)!)) lines.push(line)
  return contentOf(lines)
}
