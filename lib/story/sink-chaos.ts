/**
 * 03-resilience's first claim, shown: the live sink is killed (SIGKILL, by its own chaos hook) a
 * few milliseconds after sending a commit to the catalog, a normal sink restarts, and the lake
 * alone, snapshot by snapshot, holds every trade id once. Drives the workers through the
 * notebook's handle; the proof's check is explicit so the notebook fails when it does not hold.
 */
import { levelAtRank } from '../degrade/index'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { metricDefinitions } from '../metrics/index'
import { tradeIdGaps, type QueryEngine, type SnapshotInfo } from '../query/index'
import type { StoryStack } from './story-stack'
import { gapTotals } from './trade-exploration'

type Engine = Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>

/** What the kill left: the snapshot before it, who ran the sink, the sink's last words. */
export interface SinkKill {
  /** The trades table's newest snapshot before the chaos sink started (undefined: it had none). */
  readonly before: SnapshotInfo | undefined
  /** The sink was the stack's (not this kernel's): the restarted one outlives the kernel too, as it was found. */
  readonly sinkWasTheStacks: boolean
  /** The chaos sink's last words in its log (`chaos: SIGKILL at commit-sent …`). */
  readonly lastWords: string
}

/** Replaces the running sink by one that SIGKILLs itself at its first commit, and waits until it has. */
export async function killSinkMidCommit(stack: Pick<StoryStack, 'state' | 'owned' | 'up' | 'down' | 'waitFor' | 'logs'>, engine: Engine): Promise<SinkKill> {
  await engine.refresh()
  const before = (await engine.snapshots('trades')).at(-1)
  const sinkWasTheStacks = (await stack.state('iceberg-sink')) !== 'down' && !stack.owned().includes('iceberg-sink')
  await stack.down(['iceberg-sink'])
  await stack.up(['iceberg-sink'], { env: { K2_SINK_CHAOS: 'commit-sent:1', K2_SINK_MAX_AGE_MS: '3000' } })
  await stack.waitFor('the chaos sink to kill itself mid-commit', async () => ((await stack.state('iceberg-sink')) === 'down' ? true : undefined), 90_000)
  const lastWords = stack.logs('iceberg-sink', 40).split('\n').filter((l) => l.startsWith('chaos:')).at(-1) ?? 'the chaos sink wrote no chaos: line to its log'
  return { before, sinkWasTheStacks, lastWords }
}

/** The restarted sink: when, and what it and the killed one committed. */
export interface SinkRestart {
  readonly restartedAtMs: number
  /** Snapshots committed since the one before the kill (the killed commit among them if it landed). */
  readonly landed: SnapshotInfo[]
}

/** Starts a normal sink (restored as it was found) and waits for its first append. */
export async function restartSink(stack: Pick<StoryStack, 'up' | 'waitFor'>, engine: Engine, kill: SinkKill): Promise<SinkRestart> {
  const restartedAtMs = Date.now()
  await stack.up(['iceberg-sink'], { outliveKernel: kill.sinkWasTheStacks })
  await stack.waitFor("the restarted sink's first commit", async () => {
    await engine.refresh()
    return (await engine.snapshots('trades')).find((s) => s.timestampMs > restartedAtMs && s.operation === 'append')
  }, 300_000)
  const landed = (await engine.snapshots('trades')).filter((s) => s.timestampMs > (kill.before?.timestampMs ?? 0))
  return { restartedAtMs, landed }
}

/** One snapshot checked: its trades, missing ids and duplicates, and the sink's level then. */
export type ProofRow = { readonly snapshot: bigint; readonly committed: Date; readonly trades: number; readonly 'missing ids': number; readonly duplicates: number; readonly 'sink level': string }

/** The proof: the window checked, each snapshot's check, and the last (whole) one. */
export interface LakeProof {
  /** The window checked starts 10 minutes before the last snapshot ahead of the kill, or when the running ingest started if later. */
  readonly from: Date
  readonly checked: readonly ProofRow[]
  readonly whole: ReturnType<typeof gapTotals>
}

/**
 * Checks each new snapshot, lake only, until no id is missing: trades the load shedder deferred
 * while the sink was down arrive by backfill once it is back at NORMAL, so "whole" may take a few
 * commits. A duplicate ends the wait at once (it never goes away). The window keeps an older gap
 * that has nothing to do with this crash (a feed outage, say) from failing the proof.
 */
export async function proveLakeWhole(stack: Pick<StoryStack, 'waitFor' | 'scrape'>, engine: Engine, kill: SinkKill, restart: SinkRestart): Promise<LakeProof> {
  const from = new Date(Math.max((kill.before?.timestampMs ?? restart.restartedAtMs) - 10 * 60_000, await ingestStartMs(stack)))
  const sinkLevel = async (): Promise<string> => {
    const rank = (await stack.scrape('iceberg-sink')).find((m) => m.name === metricDefinitions.degradeLevel.name)?.value ?? 0
    return levelAtRank(rank) ?? String(rank)
  }
  const checked: ProofRow[] = []
  const whole = await stack.waitFor('every trade id in the lake (backfill included)', async () => {
    await engine.refresh()
    const s = (await engine.snapshots('trades')).at(-1)
    if (!s || checked.at(-1)?.snapshot === s.snapshotId) return undefined
    const t = gapTotals((await tradeIdGaps(engine, { from, to: new Date(Date.now() + 60_000), snapshotId: s.snapshotId })).summary)
    checked.push({ snapshot: s.snapshotId, committed: new Date(s.timestampMs), trades: t.trades, 'missing ids': t.missing, duplicates: t.duplicates, 'sink level': await sinkLevel() })
    return t.missing === 0 || t.duplicates > 0 ? t : undefined
  }, 300_000)
  return { from, checked, whole }
}

/**
 * When the running ingest started (its process_start_time_seconds), or 0 when it does not say.
 * The window starts no earlier: right after the workers start, 10 minutes back reaches the end
 * of their previous run, and the trades the exchange sent while no ingest listened are a gap of
 * that outage, not of this crash (an 03 run 1.5 min after a cold start waited 300 s on one).
 */
async function ingestStartMs(stack: Pick<StoryStack, 'scrape'>): Promise<number> {
  const started = (await stack.scrape('ingest').catch(() => [])).find((m) => m.name === 'process_start_time_seconds')?.value
  return started === undefined ? 0 : started * 1000
}

/** The proof's verdict in one line. */
export function proofLine(proof: Pick<LakeProof, 'whole'>): string {
  const w = proof.whole
  return w.missing === 0 && w.duplicates === 0 ? `nothing lost, nothing duplicated: ${w.trades.toLocaleString('en')} trades of ${w.symbols} symbols` : 'LOST OR DUPLICATED TRADES'
}

/** Throws CHECK_FAILED when the lake holds a trade twice after the crash: the notebook run fails with it. */
export function assertNothingDoubled(proof: Pick<LakeProof, 'whole'>): void {
  if (proof.whole.duplicates > 0) throw new WorkbenchError(ErrorCode.CheckFailed, `the lake holds ${proof.whole.duplicates} duplicated trades after the crash`)
}
