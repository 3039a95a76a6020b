/**
 * Time travel as 02-explore-trades shows it: the trades table read at an earlier snapshot (lake
 * only: the past has no Kafka tail) beside the present (lake + tail), and the check that a
 * snapshot reads exactly the records its summary counts.
 */
import type { QueryEngine, SnapshotInfo } from '../query/index'
import type { StoryStack } from './story-stack'

type CountRow = { readonly trades: bigint; readonly newest: Date | null }

/** The table read then and now, and whether the earlier read matches its snapshot. */
export interface TimeTravelReading {
  /** The snapshot read: the fourth newest, or the oldest kept when there are fewer. */
  readonly earlier: SnapshotInfo
  /** Snapshots the table keeps. */
  readonly snapshots: number
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** True when the earlier snapshot reads exactly the records its summary says it holds. */
  readonly exact: boolean
}

/** Waits for the table's first commit (a table just created has none), then reads it then and now. */
export async function timeTravel(stack: Pick<StoryStack, 'waitFor'>, engine: Pick<QueryEngine, 'query' | 'refresh' | 'snapshots'>): Promise<TimeTravelReading> {
  const snapshots = await stack.waitFor('a commit to the trades table', async () => {
    await engine.refresh()
    const s = await engine.snapshots('trades')
    return s.length > 0 ? s : undefined
  }, 120_000)
  const earlier = snapshots[Math.max(0, snapshots.length - 4)]!
  const countAt = async (snapshotId?: bigint): Promise<CountRow> => {
    const r = await engine.query<CountRow>('SELECT count(*) AS trades, max(event_time) AS newest FROM trades', { tables: { trades: snapshotId === undefined ? {} : { snapshotId } } })
    return r.rows[0] ?? { trades: 0n, newest: null }
  }
  const then = await countAt(earlier.snapshotId)
  const now = await countAt()
  return {
    earlier,
    snapshots: snapshots.length,
    rows: [
      { read: `snapshot ${earlier.snapshotId}`, committed: new Date(earlier.timestampMs), trades: then.trades, newest: then.newest, 'snapshot says': earlier.totalRecords },
      { read: 'now (lake + tail)', committed: new Date(), trades: now.trades, newest: now.newest, 'snapshot says': '' },
    ],
    exact: then.trades === BigInt(earlier.totalRecords),
  }
}

/** What the check says, either way. */
export function timeTravelLine(t: Pick<TimeTravelReading, 'exact'>): string {
  return t.exact ? 'the earlier snapshot reads exactly the records its summary counts' : "MISMATCH between the snapshot's summary and what it reads"
}
