import * as net from 'node:net'
import { ErrorCode, WorkbenchError, requestJson } from '../../lib/internal'

/**
 * QuestDB's two front doors the peer benchmark uses: the InfluxDB line protocol over TCP for
 * loading (QuestDB's own fast ingestion path) and REST `/exec` for queries. Loopback, no auth
 * (the stack binds QuestDB to the host only).
 */
export interface QuestDbClient {
  /** Sends line-protocol lines (each ending in `\n`) and resolves once the socket has flushed them. */
  write(lines: string): Promise<void>
  /** Runs one SQL statement over REST; the rows as arrays, with the column names. */
  exec(sql: string, timeoutMs?: number): Promise<{ columns: string[]; rows: unknown[][] }>
  close(): Promise<void>
}

export async function connectQuestDb(options: { readonly url: string; readonly host: string; readonly ilpPort: number }): Promise<QuestDbClient> {
  const socket = net.connect({ host: options.host, port: options.ilpPort })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  // QuestDB closes an ILP connection on a line it cannot parse; the next write then fails with it.
  let failure: Error | undefined
  socket.on('error', (err) => (failure = err))
  return {
    write(lines) {
      if (failure) return Promise.reject(failure)
      return new Promise((resolve, reject) => socket.write(lines, (err) => (err ? reject(err) : resolve())))
    },
    async exec(sql, timeoutMs = 60_000) {
      const answer = await requestJson<{ columns?: Array<{ name: string }>; dataset?: unknown[][]; error?: string }>(`${options.url}/exec?query=${encodeURIComponent(sql)}`, { timeoutMs })
      if (answer.error) throw new WorkbenchError(ErrorCode.QueryInvalid, `QuestDB refused ${JSON.stringify(sql.slice(0, 120))}: ${answer.error}`)
      return { columns: (answer.columns ?? []).map((c) => c.name), rows: answer.dataset ?? [] }
    },
    async close() {
      await new Promise<void>((resolve) => socket.end(resolve))
    },
  }
}

/** An ILP line: `table,tag=v field=v,… timestamp_ns`. Tags and names must not need escaping (ours are [A-Za-z0-9_]). */
export function ilpLine(table: string, tags: Readonly<Record<string, string>>, fields: Readonly<Record<string, number | bigint | string>>, timestampNanos: bigint): string {
  const t = Object.entries(tags).map(([k, v]) => `,${k}=${v}`).join('')
  const f = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'bigint' ? `${v}i` : typeof v === 'number' ? String(v) : JSON.stringify(v)}`)
    .join(',')
  return `${table}${t} ${f} ${timestampNanos}\n`
}
