/**
 * A steady query mix against the HTTP API, from the bench process over loopback: recent trades,
 * 1-minute bars over the last 15 minutes, and the two reads of an as-of join (the trades and the
 * quotes of one symbol's last minute, fetched together: the API has no join route, so a client
 * joins them itself; the kernel runs the engine's own as-of join). One request in flight at a
 * time, paced to `requestsPerSecond`, each bounded by a timeout: the loop can neither pile up
 * nor hang. Every request's latency is kept.
 */
import type { ApiRequestRecord } from './soak-summary'

export interface ApiLoadOptions {
  /** e.g. http://127.0.0.1:18010 */
  readonly baseUrl: string
  readonly requestsPerSecond: number
  /** Symbols the mix rotates through (a busy one first). */
  readonly symbols: readonly string[]
  readonly timeoutMs: number
  /** Seconds since the run started, for each record's `t`. */
  readonly clock: () => number
}

export interface ApiLoad {
  readonly records: readonly ApiRequestRecord[]
  /** Requests completed since the last call (for the 5 s sample). */
  drain(): ApiRequestRecord[]
  /** Stops after the request in flight; resolves once it has ended. */
  stop(): Promise<void>
}

type Request = { kind: string; urls: (now: number, symbol: string) => string[] }

const iso = (ms: number): string => new Date(ms).toISOString()

/** The mix, in the order the loop cycles through it. */
export const apiMix: readonly Request[] = [
  { kind: 'recent trades', urls: (_now, s) => [`/v1/trades/recent?symbol=${s}&minutes=5&limit=100`] },
  { kind: 'bars 1m over 15 min', urls: (now, s) => [`/v1/bars?symbol=${s}&interval=1m&from=${iso(now - 15 * 60_000)}&to=${iso(now + 60_000)}`] },
  {
    kind: 'as-of join reads (trades + quotes, 1 min)',
    urls: (now, s) => [`/v1/trades?symbol=${s}&from=${iso(now - 60_000)}&to=${iso(now + 1000)}&limit=2000`, `/v1/quotes?symbol=${s}&from=${iso(now - 60_000)}&to=${iso(now + 1000)}&limit=5000`],
  },
]

async function get(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    await res.arrayBuffer()
    return res.ok
  } catch {
    return false
  }
}

/** One request of the mix's first kind (recent trades of `symbol`): how long it took, and whether it answered 200. */
export async function requestOnce(baseUrl: string, symbol: string, timeoutMs: number): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now()
  const oks = await Promise.all(apiMix[0]!.urls(Date.now(), symbol).map((u) => get(`${baseUrl}${u}`, timeoutMs)))
  return { ms: Math.round(performance.now() - started), ok: oks.every(Boolean) }
}

/** Starts the loop at once. */
export function startApiLoad(o: ApiLoadOptions): ApiLoad {
  const records: ApiRequestRecord[] = []
  let drained = 0
  let running = true
  let wake: (() => void) | undefined
  const interval = 1000 / o.requestsPerSecond
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const started = performance.now()
      const request = apiMix[i % apiMix.length]!
      const symbol = o.symbols[Math.floor(i / apiMix.length) % o.symbols.length]!
      const urls = request.urls(Date.now(), symbol).map((u) => `${o.baseUrl}${u}`)
      const oks = await Promise.all(urls.map((u) => get(u, o.timeoutMs)))
      records.push({ t: o.clock(), kind: request.kind, ms: Math.round((performance.now() - started) * 10) / 10, ok: oks.every(Boolean) })
      const wait = Math.max(0, interval - (performance.now() - started))
      if (running && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    }
  })()
  return {
    records,
    drain() {
      const out = records.slice(drained)
      drained = records.length
      return out
    },
    async stop() {
      running = false
      wake?.()
      await loop
    },
  }
}
