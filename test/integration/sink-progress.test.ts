import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, WorkbenchError, createSinkProgressReader, type DegradationSignals, type RestCatalogClient } from '../../lib/internal'
import { eventually, uniqueName, scratchDir } from './helpers'
import { createLakeTestContext, makeTrades, produceTrades, startTestSink, tableRecords, type TestSink } from './lake-helpers'

/**
 * What the ingest's shedder reads of the sink (D37, D48): a sink whose commit is slow stays
 * visible, and the records it has not read show as a growing backlog (shedding helps it); a sink
 * retrying through a catalog outage goes quiet (shedding would not help; its data waits in Kafka).
 */
const lake = createLakeTestContext('sink-progress')
const { kafka, serde, namespace, topics } = lake
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']

/** The real catalog, whose commits can be held (slow) or refused with a 503 (an outage). */
let commits: 'pass' | 'hold' | 'refuse' = 'pass'
let release: () => void = () => undefined
const catalog: RestCatalogClient = {
  ...lake.catalog,
  async commitTable(...args) {
    if (commits === 'refuse') throw new WorkbenchError(ErrorCode.ServiceUnavailable, 'the catalog is down (injected)', true)
    if (commits === 'hold') await new Promise<void>((r) => (release = r))
    return lake.catalog.commitTable(...args)
  },
}

let sink: TestSink
const groupId = uniqueName('sink')
const admin = kafka.admin()
let nextId = 1
let produced = 0
const produce = async (perSymbol: number): Promise<void> => {
  await produceTrades(kafka, serde, topics.trades, makeTrades(symbols, perSymbol, nextId))
  nextId += perSymbol
  produced += perSymbol * symbols.length
}
const allCommitted = (what: string): Promise<true> => eventually(async () => (sink.alive(), (await tableRecords(catalog, namespace, 'trades')) === produced || undefined), 60_000, what)

beforeAll(async () => {
  await lake.setup(3)
  await admin.connect()
  sink = startTestSink({ ...lake, catalog }, { namespace, topics, groupId, maxRecords: 100_000, maxAgeMs: 300, rowGroupSize: 10_000, workDir: scratchDir('sink-work') })
  await produce(200)
  await allCommitted('the first trades committed')
})

afterAll(async () => {
  commits = 'pass'
  release()
  await sink?.stop().catch(() => undefined)
  await admin.disconnect()
  await lake.teardown()
})

describe("the sink's progress as the ingest's shedder reads it", () => {
  it('a slow commit: the sink stays visible and the records it has not read show as a growing backlog', async () => {
    // Progress older than 3 s reads as a stopped sink: the hold lasts well beyond that.
    const read = createSinkProgressReader(admin, groupId, [topics.trades], 3000)
    commits = 'hold'
    const held = Date.now()
    // Keep the input coming while the commit hangs: the sink reads one more batch, then waits.
    const seen: DegradationSignals[] = []
    await eventually(
      async () => {
        sink.alive()
        await produce(100)
        const s = await read()
        seen.push(s)
        const last = seen.slice(-3).map((x) => x.backlogRecords)
        const growing = last.length === 3 && last.every((b) => b !== undefined) && last[0]! < last[1]! && last[1]! < last[2]! && last[2]! >= 1500
        return growing && Date.now() - held > 8000 ? true : undefined
      },
      60_000,
      'a backlog that grows with the input while the commit hangs',
    )
    // It stayed visible throughout: once the hold began, no reading lost the backlog.
    const firstBacklog = seen.findIndex((s) => (s.backlogRecords ?? 0) > 0)
    expect(seen.slice(firstBacklog).map((s) => s.backlogRecords === undefined)).not.toContain(true)
    commits = 'pass'
    release()
    await allCommitted('everything committed once the commit went through')
    await eventually(async () => ((await read()).backlogRecords === 0 ? true : undefined), 30_000, 'the backlog back to 0')
  })

  it('an outage: a sink retrying its commit goes quiet, so its backlog decides nothing', async () => {
    const read = createSinkProgressReader(admin, groupId, [topics.trades], 3000)
    commits = 'refuse'
    await eventually(
      async () => {
        sink.alive()
        await produce(100)
        const s = await read()
        return s.backlogRecords === undefined && (s.lagSeconds ?? 0) > 0 ? true : undefined
      },
      60_000,
      'the backlog unknown (stale progress) while the lake falls behind',
    )
    commits = 'pass'
    await allCommitted('everything committed after the outage')
    await eventually(async () => ((await read()).backlogRecords === 0 ? true : undefined), 30_000, 'the progress fresh again, backlog 0')
  })
})
