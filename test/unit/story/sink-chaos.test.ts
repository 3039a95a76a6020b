import { describe, expect, it } from 'vitest'
import { isWorkbenchError, story, type QueryEngine, type SnapshotInfo } from '../../../lib/internal'

const snapshot = (id: number, atMs: number, operation = 'append', totalRecords = 100): SnapshotInfo => ({
  snapshotId: BigInt(id), parentId: undefined, timestampMs: atMs, operation, addedRecords: 1, totalRecords, addedFiles: 1, totalFiles: 1, totalFilesBytes: 1, current: false, offsets: {},
})

const waitFor = async <T>(_what: string, check: () => Promise<T | undefined>): Promise<T> => {
  for (let i = 0; i < 100; i++) {
    const v = await check()
    if (v !== undefined) return v
  }
  throw new Error('gave up')
}

/** A stack whose sink is running (started by `owner`), and dies at once when started with the chaos hook. */
function fakeStack(owner: 'stack' | 'kernel', ingestStartedAtMs = 0) {
  const calls: string[] = []
  let sink: 'up' | 'down' = 'up'
  return {
    calls,
    stack: {
      waitFor,
      state: async () => sink,
      owned: () => (owner === 'kernel' && calls.length === 0 ? (['iceberg-sink'] as const) : ([] as const)),
      down: async (names?: readonly string[]) => void (calls.push(`down ${names?.join(',')}`), (sink = 'down')),
      up: async (names: readonly string[], options?: { env?: Readonly<Record<string, string>>; outliveKernel?: boolean }) => {
        calls.push(`up ${names.join(',')} ${JSON.stringify(options ?? {})}`)
        sink = options?.env?.K2_SINK_CHAOS ? 'down' : 'up'
      },
      logs: () => 'starting\nchaos: SIGKILL at commit-sent (commit 1)\n',
      scrape: async (worker: string) =>
        worker === 'ingest'
          ? [{ name: 'process_start_time_seconds', labels: {}, value: ingestStartedAtMs / 1000 }]
          : [{ name: 'k2_degrade_level', labels: { worker: 'iceberg-sink' }, value: 1 }],
    },
  }
}

describe('the chaos proof of 03-resilience', () => {
  it('kills the sink mid-commit with the chaos hook, and restores one the stack ran as the stack runs it', async () => {
    const { stack, calls } = fakeStack('stack')
    let snapshots = [snapshot(1, 1000)]
    const engine = { refresh: async () => undefined, snapshots: async () => snapshots } as unknown as Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>
    const kill = await story.killSinkMidCommit(stack, engine)
    expect(kill).toEqual({ before: snapshots[0], sinkWasTheStacks: true, lastWords: 'chaos: SIGKILL at commit-sent (commit 1)' })
    expect(calls).toEqual(['down iceberg-sink', 'up iceberg-sink {"env":{"K2_SINK_CHAOS":"commit-sent:1","K2_SINK_MAX_AGE_MS":"3000"}}'])
    snapshots = [snapshot(1, 1000), snapshot(2, 1500, 'replace'), snapshot(3, Date.now() + 1000)]
    const restart = await story.restartSink(stack, engine, kill)
    expect(calls.at(-1)).toBe('up iceberg-sink {"outliveKernel":true}')
    expect(restart.landed.map((s) => s.snapshotId)).toEqual([2n, 3n])
  })

  it('leaves a sink this kernel started to stop with the kernel', async () => {
    const { stack, calls } = fakeStack('kernel')
    const engine = { refresh: async () => undefined, snapshots: async () => [] } as unknown as Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>
    const kill = await story.killSinkMidCommit(stack, engine)
    expect(kill.sinkWasTheStacks).toBe(false)
    expect(kill.before).toBeUndefined()
    const engineAfter = { refresh: async () => undefined, snapshots: async () => [snapshot(3, Date.now() + 1000)] } as unknown as Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>
    await story.restartSink(stack, engineAfter, kill)
    expect(calls.at(-1)).toBe('up iceberg-sink {"outliveKernel":false}')
  })

  it('checks snapshot by snapshot until no id is missing, naming the sink’s level', async () => {
    const { stack } = fakeStack('stack')
    let refreshes = 0
    let snapshots: SnapshotInfo[] = []
    const gapsBySnapshot = new Map([
      [5n, { missing: 3n, duplicates: 0n }],
      [6n, { missing: 0n, duplicates: 0n }],
    ])
    const engine = {
      // The first reads see snapshot 5 (ids missing: the backfill has not landed); then 6 arrives.
      refresh: async () => void (snapshots = ++refreshes < 3 ? [snapshot(5, 10_000)] : [snapshot(5, 10_000), snapshot(6, 11_000)]),
      snapshots: async () => snapshots,
      query: async (sql: string, options: { tables: { trades: { snapshotId: bigint } } }) => {
        const g = gapsBySnapshot.get(options.tables.trades.snapshotId)!
        return { rows: sql.includes('lag(trade_id)') ? [] : [{ symbol: 'A', trades: 10n, firstTradeId: 1n, lastTradeId: 13n, ...g }], truncated: false }
      },
    } as unknown as Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>
    const proof = await story.proveLakeWhole(stack, engine, { before: snapshot(4, 700_000), sinkWasTheStacks: true, lastWords: '' }, { restartedAtMs: 0, landed: [] })
    expect(proof.from).toEqual(new Date(100_000))
    // Snapshot 5 is checked once (a second look at the same snapshot is skipped), then 6.
    expect(proof.checked.map((r) => [r.snapshot, r['missing ids'], r['sink level']])).toEqual([
      [5n, 3, 'SOFT'],
      [6n, 0, 'SOFT'],
    ])
    expect(story.proofLine(proof)).toBe('nothing lost, nothing duplicated: 10 trades of 1 symbols')
    expect(() => story.assertNothingDoubled(proof)).not.toThrow()
  })

  it('starts the window no earlier than the running ingest, so the gap of its last stop does not count', async () => {
    // The workers started 90 s before the last snapshot ahead of the kill: 10 minutes back would reach their previous run.
    const { stack } = fakeStack('stack', 610_000)
    const windows: unknown[] = []
    const engine = {
      refresh: async () => undefined,
      snapshots: async () => [snapshot(6, 760_000)],
      query: async (sql: string, options: { params: { from: Date } }) => {
        windows.push(options.params.from)
        return { rows: sql.includes('lag(trade_id)') ? [] : [{ symbol: 'A', trades: 10n, firstTradeId: 1n, lastTradeId: 10n, missing: 0n, duplicates: 0n }], truncated: false }
      },
    } as unknown as Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>
    const proof = await story.proveLakeWhole(stack, engine, { before: snapshot(4, 700_000), sinkWasTheStacks: true, lastWords: '' }, { restartedAtMs: 0, landed: [] })
    expect(proof.from).toEqual(new Date(610_000))
    expect(windows).toContainEqual(new Date(610_000))
  })

  it('fails the notebook when the lake holds a trade twice', () => {
    const doubled = { whole: { symbols: 1, trades: 10, missing: 0, duplicates: 2 } }
    expect(story.proofLine(doubled)).toBe('LOST OR DUPLICATED TRADES')
    let err: unknown
    try {
      story.assertNothingDoubled(doubled)
    } catch (e) {
      err = e
    }
    expect(isWorkbenchError(err, 'CHECK_FAILED')).toBe(true)
    expect((err as Error).message).toBe('the lake holds 2 duplicated trades after the crash')
  })

  it('reads the table at an earlier snapshot and checks it against the snapshot’s own count', async () => {
    const snapshots = [1, 2, 3, 4, 5].map((i) => snapshot(i, i * 1000, 'append', i * 100))
    const engine = {
      refresh: async () => undefined,
      snapshots: async () => snapshots,
      query: async (_sql: string, options: { tables: { trades: { snapshotId?: bigint } } }) => {
        const id = options.tables.trades.snapshotId
        return { rows: [{ trades: id === undefined ? 999n : id * 100n, newest: new Date(0) }] }
      },
    } as unknown as Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>
    const travel = await story.timeTravel({ waitFor }, engine)
    expect(travel.earlier.snapshotId).toBe(2n)
    expect(travel.snapshots).toBe(5)
    expect(travel.exact).toBe(true)
    expect(travel.rows[1]).toMatchObject({ read: 'now (lake + tail)', trades: 999n })
    expect(story.timeTravelLine(travel)).toBe('the earlier snapshot reads exactly the records its summary counts')
    expect(story.timeTravelLine({ exact: false })).toBe("MISMATCH between the snapshot's summary and what it reads")
  })
})
