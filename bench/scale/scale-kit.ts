/**
 * The processes and readings `npm run bench:scale` works with: workers started as
 * `npm run pipelines` starts them (one process each, `node --import tsx pipelines/<name>.ts`),
 * their /metrics, their CPU time from /proc, and the synthetic trades it preloads or streams.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'
import type { Kafka, Producer } from 'kafkajs'
import { parseExposition, pollUntil, requestJson, sleep, type RecordSerde, type Trade } from '../../lib/internal'
import { procClock, processTree, readProcessTable } from '../soak/proc-stat'

export interface BenchWorker {
  readonly name: string
  readonly child: ChildProcess
  readonly metricsUrl: string | undefined
  /** The end of what it printed, for a failure message. */
  output(): string
  /** SIGTERM, and waits for it to exit (SIGKILL after 30 s). */
  stop(): Promise<void>
}

/** Starts `pipelines/<script>` with the environment plus `env`. */
export function startBenchWorker(root: string, name: string, script: string, env: Record<string, string>, metricsPort?: number): BenchWorker {
  let out = ''
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'pipelines', script)], { cwd: root, env: { ...process.env, K2_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-20_000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return {
    name,
    child,
    metricsUrl: metricsPort === undefined ? undefined : `http://127.0.0.1:${metricsPort}/metrics`,
    output: () => out.slice(-1500),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Sum of a metric's samples over the workers (those matching `labels`); 0 for a worker that did not answer. */
export async function metricSum(workers: readonly BenchWorker[], name: string, labels: Record<string, string> = {}): Promise<number> {
  let total = 0
  for (const w of workers) {
    if (!w.metricsUrl) continue
    const text = await requestJson<string>(w.metricsUrl, { timeoutMs: 5000 }).catch(() => '')
    for (const s of parseExposition(text)) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value
  }
  return total
}

/** Largest value of a metric over the workers. */
export async function metricMax(workers: readonly BenchWorker[], name: string): Promise<number> {
  let max = 0
  for (const w of workers) {
    if (!w.metricsUrl) continue
    const text = await requestJson<string>(w.metricsUrl, { timeoutMs: 5000 }).catch(() => '')
    for (const s of parseExposition(text)) if (s.name === name) max = Math.max(max, s.value)
  }
  return max
}

/** CPU seconds used so far by each named process tree (a pid and its descendants). */
export function cpuSeconds(roots: Readonly<Record<string, number | undefined>>): Record<string, number> {
  const table = readProcessTable()
  const { ticksPerSecond } = procClock()
  const out: Record<string, number> = {}
  for (const [name, pid] of Object.entries(roots)) {
    if (pid === undefined) continue
    out[name] = processTree(table, pid).reduce((a, p) => a + (table.get(p)?.cpuTicks ?? 0), 0) / ticksPerSecond
  }
  return out
}

/** Share of one core per process between two `cpuSeconds` readings `seconds` apart. */
export function coreShares(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([n, v]) => [n, Math.round(((v - (before[n] ?? 0)) / seconds) * 100) / 100]))
}

/** Polls until `check` returns a value; throws naming `what` after `timeoutMs`. */
export const until = <T>(check: () => Promise<T | undefined>, timeoutMs: number, what: () => string): Promise<T> => pollUntil(check, { timeoutMs, what, intervalMs: 500 })

/** `count` trades round-robin over `symbols`, each symbol's ids going on from `lastIds`, stamped `atMicros` on. */
export function syntheticTrades(symbols: readonly string[], count: number, lastIds: Map<string, number>, atMicros: bigint): Trade[] {
  const out: Trade[] = []
  for (let i = 0; i < count; i++) {
    const symbol = symbols[i % symbols.length]!
    const next = (lastIds.get(symbol) ?? 0) + 1
    lastIds.set(symbol, next)
    const id = BigInt(next)
    const t = atMicros + BigInt(i)
    out.push({
      messageId: `BINANCE:${symbol}:${id}`,
      tradeId: id,
      symbol,
      exchange: 'BINANCE',
      assetClass: 'crypto',
      timestampMicros: t,
      price: `${100 + (i % 50)}.${String(i % 100).padStart(2, '0')}000000`,
      quantity: `0.${String((i % 997) + 1).padStart(3, '0')}00000`,
      currency: 'USDT',
      side: i % 2 ? 'BUY' : 'SELL',
      tradeConditions: [],
      sourceSequence: id,
      ingestionTimestampMicros: t,
      platformSequence: BigInt(i),
      vendorData: {},
    })
  }
  return out
}

/** Produces trades keyed by symbol, 10,000 per request. */
export async function produceTrades(producer: Producer, serde: RecordSerde, topic: string, trades: readonly Trade[]): Promise<void> {
  for (let i = 0; i < trades.length; i += 10_000) {
    await producer.send({ topic, acks: -1, messages: trades.slice(i, i + 10_000).map((t) => ({ key: t.symbol, value: serde.serializeTrade(t) })) })
  }
}

/** Produces `perSecond` trades, stamped now, every 100 ms, until `stop()`; resolves with the count. */
export function streamTrades(kafka: Kafka, serde: RecordSerde, topic: string, symbols: readonly string[], perSecond: number, lastIds: Map<string, number>): { sent(): number; stop(): Promise<number> } {
  let running = true
  let sent = 0
  const done = (async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const started = Date.now()
    try {
      while (running) {
        const due = Math.floor(((Date.now() - started) / 1000) * perSecond) - sent
        if (due > 0) {
          await produceTrades(producer, serde, topic, syntheticTrades(symbols, due, lastIds, BigInt(Date.now()) * 1000n))
          sent += due
        }
        await sleep(100)
      }
    } finally {
      await producer.disconnect()
    }
    return sent
  })()
  return {
    sent: () => sent,
    async stop() {
      running = false
      return done
    },
  }
}
