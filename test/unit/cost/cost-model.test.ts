import { describe, expect, it } from 'vitest'
import { commitsPerHour, compactionRewriteFactor, defaultLevers, estimateCost, expectedBuckets, filesReadPerPartition, openHourMerges, scales, type CostEstimate, type Levers, type QueryActivity, type Scale } from '../../../lib/internal'
import { figuresFromBenchmarks, type MeasuredFigures, type QueryClass } from '../../../lib/internal'
import { parseUnitPrices, type UnitPrices } from '../../../lib/internal'
import { isWorkbenchError } from '../../../lib/internal'
import { benchmarkResults, readProjectJson, thrownBy } from '../../support/cost-inputs'

// Round numbers, so every expected figure below can be redone by hand.
const source = { date: '2025', source: 'https://example.test/prices', note: 'test prices' }
const toyPrices: UnitPrices = {
  currency: 'USD',
  region: 'test-1',
  basis: 'round numbers for tests',
  compute: { ...source, instances: { box: { vcpu: 2, memoryGiB: 8, perHour: 0.1 }, small: { vcpu: 1, memoryGiB: 2, perHour: 0.05 } } },
  objectStorage: { ...source, perGbMonth: 0.02 },
  requests: { ...source, putPer1000: 0.005, getPer1000: 0.0004 },
  network: { ...source, egressInternetPerGb: 0.09, interAzPerGbEachWay: 0.01 },
  kafkaManaged: { ...source, brokerType: 'kafka.box', perBrokerHour: 0.2, storagePerGbMonth: 0.1 },
  kafkaSelfRun: { ...source, instance: 'box', volumePerGbMonth: 0.08 },
}
const toyFigures: MeasuredFigures = {
  sources: ['test'],
  lakeBytesPerMessage: { asCommitted: 10, afterCompaction: 8 },
  kafkaBytesPerMessage: 30,
  ingestMessagesPerSecondPerCore: 1000,
  sinkMessagesPerSecondPerCore: 1000,
  compactionCoreMicrosPerMessage: 100,
  lakeBuckets: 16,
  maxRecordsPerCommit: 1_000_000,
  compactionOpenHourMinFiles: 16,
  measuredFilesPerHour: { filesPerHourPerTable: 1920, messagesPerSecond: 1000, commitIntervalSeconds: 30, symbols: 160 },
  queryOverheadCoreSeconds: 0.1,
  queryCoreSecondsPerGib: 10,
  memoryMiB: { ingest: 512, sink: 1024, query: 512 },
  queryMix: [],
  assumed: { getsPerFileRead: 1, metadataPutsPerCommit: 3, readerMetadataGetsPerCommit: 3, kafkaConsumerGroups: 2, kafkaBrokerWriteMiBps: 20, coresPerProcess: 2, otherProcessesMiB: 0, resultBytesPerRow: 100 },
  assumptions: [],
}
const toyScale: Scale = { name: 'toy', symbols: 1, tradesPerSecond: 10, quotesPerSecond: 0, querySymbolShare: 1, assumption: 'test' }
const toyLevers: Levers = { ...defaultLevers, kafkaRetentionHours: 24, lakeRetentionDays: 10, compaction: false, instance: 'box', cpuTargetUtilisation: 0.5 }
const gib = 2 ** 30
const month = 730 * 3600

const prices = parseUnitPrices(readProjectJson('data/unit-prices.json'))
const figures = figuresFromBenchmarks(benchmarkResults())

describe('cost model formulas', () => {
  it.each([
    [16, 1, 1],
    [16, 2, 16 * (1 - (15 / 16) ** 2)],
    [16, 1000, 16],
    [1, 5, 1],
  ])('%i buckets, %i symbols: %d partitions per commit', (buckets, symbols, expected) => {
    expect(expectedBuckets(buckets, symbols)).toBeCloseTo(expected, 9)
  })

  it.each([
    ['interval-triggered', 10, 30, 120],
    ['size-triggered: 50,000/s fill 1,000,000 in 20 s', 50_000, 30, 180],
    ['hourly', 1, 3600, 1],
  ])('commits per hour, %s', (_name, rate, interval, expected) => {
    expect(commitsPerHour(rate, interval, 1_000_000)).toBeCloseTo(expected, 9)
  })

  it.each([
    [15, 0, 1],
    [16, 1, 2], // merges all 16 once, then the close rewrites all
    [30, 1, 1 + 16 / 30],
    [32, 2, 2],
    [120, 7, 1 + 112 / 120], // 7 merges of 16 new small files each; the last 8 commits wait for the close
    [1, 0, 0], // one file an hour: nothing to merge
  ])('%i commits an hour: %i open-hour merges, each message rewritten %d times', (commits, merges, rewrites) => {
    expect(openHourMerges(commits, 16)).toBe(merges)
    expect(compactionRewriteFactor(commits, 16)).toBeCloseTo(rewrites, 9)
  })

  const q = (windowMinutes: number, minutesAgo: number): QueryClass => ({ name: 'q', queriesPerHour: 1, symbols: 'one', windowMinutes, minutesAgo, tables: 'trades', resultRows: 1 })
  it.each([
    // The table-layout benchmark read 11 files for the last 5 min uncompacted at 30-s commits, 120 for an hour.
    ['5 min, uncompacted', q(5, 0), false, 11],
    ['1 h two hours ago, uncompacted', q(60, 120), false, 121],
    ['5 min, compacted: the open hour keeps 7 small files on average, plus the merge holding the rest', q(5, 0), true, 8],
    ['25 min, compacted: 7 small files and the 3 merges of the other 43 commits', q(25, 0), true, 7 + 3],
    ['1 h six hours ago, compacted: one file', q(60, 360), true, 1],
    ['24 h, compacted: the open half hour (7 small, 4 merges), then 23.5 closed hours', q(1440, 0), true, 7 + 4 + 24],
  ])('files read per partition: %s', (_name, query, compaction, expected) => {
    expect(filesReadPerPartition(query, 120, 16, compaction)).toBe(expected)
  })
})

describe('estimateCost on hand-computed cases', () => {
  it('adds up a small case component by component', () => {
    const e = estimateCost(toyPrices, toyFigures, toyScale, toyLevers)
    expect(e.messagesPerMonth).toBe(10 * 2_628_000)
    // 0.02 vCPU ingest + 0.02 sink (10/s ÷ 1000/s per core ÷ 0.5), 2 GiB: one box at $0.10/h, split evenly.
    expect(e.detail.instances).toBe(1)
    expect(e.monthly.computeIngest).toBeCloseTo(36.5, 9)
    expect(e.monthly.computeSink).toBeCloseTo(36.5, 9)
    expect(e.monthly.computeQuery).toBe(0)
    // 3 brokers × $0.20 × 730 h, and 24 h × 10/s × 30 bytes × 3 replicas at $0.10/GB-month.
    expect(e.monthly.kafka).toBeCloseTo(438 + ((10 * 30 * 86_400 * 3) / gib) * 0.1, 9)
    // 10 days of 10/s × 10 bytes at $0.02/GB-month.
    expect(e.monthly.objectStorage).toBeCloseTo(((10 * 86_400 * 10 * 10) / gib) * 0.02, 12)
    // One symbol: one partition. 120 commits/h × (1 data file + 3 metadata) PUTs; the reader fetches 3 objects per commit.
    expect(e.detail.requests.putsPerMonth).toBeCloseTo(120 * 4 * 730, 6)
    expect(e.detail.requests.getsPerMonth).toBeCloseTo(120 * 3 * 730, 6)
    expect(e.monthly.requests).toBeCloseTo(350.4 * 0.005 + 262.8 * 0.0004, 9)
    // Produce and 2 consumer groups each cross to the other 2 zones for 2/3 of the bytes, billed both ways; MSK replication is free.
    const kafkaGib = (10 * 30 * month) / gib
    expect(e.monthly.network).toBeCloseTo(kafkaGib * (2 / 3) * 3 * 0.01 * 2, 12)
    expect(e.total).toBeCloseTo(Object.values(e.monthly).reduce((s, v) => s + v, 0), 9)
    expect(e.perMillion).toBeCloseTo(e.total / 26.28, 9)
  })

  it('counts compaction: merge rounds, their reads and writes, and the CPU to rewrite each message', () => {
    const e = estimateCost(toyPrices, toyFigures, toyScale, { ...toyLevers, compaction: true })
    const t = e.detail.tables[0]!
    // 7 open-hour merges + the close: 8 rounds of (1 file + 3 metadata) PUTs on top of the sink's 120 × 4.
    expect(t.putsPerHour).toBe(120 * 4 + 8 * 4)
    // Each of 120 small files read once, each of the 7 merged files once more at the close; the reader loads 128 snapshots × 3 objects.
    expect(t.getsPerHour).toBe(120 + 7 + 128 * 3)
    // Sink vCPU: (10/1000 + 10 × 100 µs × (1 + 112/120)) ÷ 0.5: 112 of the 120 commits merged in the open hour, all at the close.
    expect(e.detail.vcpu.sink).toBeCloseTo((0.01 + 10 * 100e-6 * (1 + 112 / 120)) / 0.5, 12)
    // The lake keeps compacted bytes (8 rather than 10 per message).
    expect(e.monthly.objectStorage).toBeCloseTo(((10 * 86_400 * 10 * 8) / gib) * 0.02, 12)
  })

  it('self-run Kafka: broker instances and volumes, and replication across zones is billed', () => {
    const e = estimateCost(toyPrices, toyFigures, toyScale, { ...toyLevers, kafka: 'self-run' })
    expect(e.monthly.kafka).toBeCloseTo(3 * 0.1 * 730 + ((10 * 30 * 86_400 * 3) / gib) * 0.08, 9)
    const kafkaGib = (10 * 30 * month) / gib
    // Produce + 2 consumers at 2/3 across, plus 2 followers in other zones.
    expect(e.monthly.network).toBeCloseTo(kafkaGib * ((2 / 3) * 3 + 2) * 0.01 * 2, 12)
    expect(estimateCost(toyPrices, toyFigures, toyScale, { ...toyLevers, kafka: 'self-run', kafkaZones: 1 }).monthly.network).toBe(0)
  })

  it('adds instances for CPU and for memory', () => {
    // 2,000/s: 4 vCPU ingest + 4 sink at 50% → 8 vCPU → 4 boxes.
    expect(estimateCost(toyPrices, toyFigures, { ...toyScale, tradesPerSecond: 2000 }, toyLevers).detail.instances).toBe(4)
    // 2 GiB of workers on 2-GiB instances, plus 1 GiB of catalog: 2 instances though 1 vCPU is plenty.
    const withCatalog = { ...toyFigures, assumed: { ...toyFigures.assumed, otherProcessesMiB: 1024 } }
    expect(estimateCost(toyPrices, withCatalog, toyScale, { ...toyLevers, instance: 'small' }).detail.instances).toBe(2)
  })

  it('sizes queries by what they scan and read at the scale', () => {
    const scan: QueryClass = { name: 'scan', queriesPerHour: 10, symbols: 'all', windowMinutes: 60, minutesAgo: 120, tables: 'trades', resultRows: 1000 }
    const e = estimateCost(toyPrices, { ...toyFigures, queryMix: [scan] }, { ...toyScale, symbols: 1000 }, toyLevers)
    const qa = e.detail.queries[0]!
    // 16 partitions × (120 commits + 1 straddling) files; 36,000 messages × 10 bytes.
    expect(qa.filesReadPerQuery).toBe(16 * 121)
    expect(qa.gibScannedPerQuery).toBeCloseTo((10 * 3600 * 10) / gib, 12)
    expect(qa.coreSecondsPerQuery).toBeCloseTo(0.1 + ((10 * 3600 * 10) / gib) * 10, 12)
    expect(qa.getsPerHour).toBe(10 * 16 * 121)
    // Results: 10 queries/h × 730 × 1000 rows × 100 bytes out to the internet.
    expect(e.detail.network.egressGiB).toBeCloseTo((10 * 730 * 1000 * 100) / gib, 12)
  })

  it('reproduces the files per hour the sink benchmark measured (2,304 at 43,207 trades/s, 160 symbols, 30-s commits) within 10%', () => {
    const m = figures.measuredFilesPerHour
    const e = estimateCost(prices, figures, { ...toyScale, symbols: m.symbols, tradesPerSecond: m.messagesPerSecond }, { ...defaultLevers, commitIntervalSeconds: m.commitIntervalSeconds })
    expect(e.detail.tables[0]!.dataFilesPerHour / m.filesPerHourPerTable).toBeGreaterThan(0.9)
    expect(e.detail.tables[0]!.dataFilesPerHour / m.filesPerHourPerTable).toBeLessThan(1.1)
  })
})

describe('estimateCost: volume and levers', () => {
  const at = (scale: Scale, levers: Partial<Levers> = {}): CostEstimate => estimateCost(prices, figures, scale, { ...defaultLevers, ...levers })

  it('doubling a small volume about halves $ per million: nearly everything there is fixed', () => {
    const one = at(scales.small)
    const two = at({ ...scales.small, tradesPerSecond: scales.small.tradesPerSecond * 2 })
    expect(two.total).toBeGreaterThan(one.total)
    expect(two.perMillion / one.perMillion).toBeGreaterThan(0.5)
    expect(two.perMillion / one.perMillion).toBeLessThan(0.52)
  })

  it('the per-message parts grow in proportion to volume', () => {
    const one = at(scales.medium)
    const two = at({ ...scales.medium, tradesPerSecond: scales.medium.tradesPerSecond * 2 })
    expect(two.monthly.objectStorage).toBeCloseTo(2 * one.monthly.objectStorage, 9)
    expect(two.detail.kafka.storageGiB).toBeCloseTo(2 * one.detail.kafka.storageGiB, 9)
    expect(two.detail.network.crossAzGiB).toBeCloseTo(2 * one.detail.network.crossAzGiB, 9)
    expect(two.perMillion).toBeLessThan(one.perMillion)
  })

  it('costs more in total, and less per message, from small to medium to large', () => {
    const [s, m, l] = [at(scales.small), at(scales.medium), at(scales.large)]
    expect(s.total).toBeLessThan(m.total)
    expect(m.total).toBeLessThan(l.total)
    expect(s.perMillion).toBeGreaterThan(m.perMillion)
    expect(m.perMillion).toBeGreaterThan(l.perMillion)
  })

  it('meets the issue target at large scale: ≤ $0.05 per million messages with the measured figures', () => {
    expect(at(scales.large).perMillion).toBeLessThanOrEqual(0.05)
  })

  it('a longer commit interval writes fewer files and makes fewer PUTs', () => {
    const every30 = at(scales.small)
    const every300 = at(scales.small, { commitIntervalSeconds: 300 })
    expect(every30.detail.tables[0]!.dataFilesPerHour / every300.detail.tables[0]!.dataFilesPerHour).toBeCloseTo(10, 9)
    expect(every300.detail.requests.putsPerMonth).toBeLessThan(every30.detail.requests.putsPerMonth / 5)
    // At large scale the quotes table commits by size (180/h), so a longer interval stops helping there.
    expect(at(scales.large, { commitIntervalSeconds: 300 }).detail.tables[1]!.commitsPerHour).toBe(180)
  })

  it('without compaction a day-long scan reads every commit file of the day', () => {
    const on = at(scales.medium)
    const off = at(scales.medium, { compaction: false })
    const scan = (e: CostEstimate): QueryActivity => e.detail.queries.find((q) => q.name === 'bars_24h_all')!
    expect(scan(off).filesReadPerQuery).toBeGreaterThan(50 * scan(on).filesReadPerQuery)
    expect(off.detail.requests.getsPerMonth).toBeGreaterThan(10 * on.detail.requests.getsPerMonth)
    expect(off.monthly.objectStorage).toBeGreaterThan(on.monthly.objectStorage) // 7.79 vs 7.45 bytes per trade
    expect(off.detail.vcpu.sink).toBeLessThan(on.detail.vcpu.sink) // no rewriting
  })

  const proportional: Array<[string, Partial<Levers>, (e: CostEstimate) => number, number]> = [
    ['Kafka retention doubles Kafka storage', { kafkaRetentionHours: 336 }, (e) => e.detail.kafka.storageGiB, 2],
    ['lake retention doubles object storage', { lakeRetentionDays: 730 }, (e) => e.monthly.objectStorage, 2],
    ['uncompressed Kafka multiplies Kafka storage by the codec ratio', { compressionFactor: 6.45 }, (e) => e.detail.kafka.storageGiB, 6.45],
    ['uncompressed Kafka multiplies cross-zone traffic by the codec ratio', { compressionFactor: 6.45 }, (e) => e.detail.network.crossAzGiB, 6.45],
    ['a 90% file-cache hit ratio leaves a tenth of the query GETs', { queryCacheHitRatio: 0.9 }, (e) => e.detail.queries.reduce((s, q) => s + q.getsPerHour, 0), 0.1],
  ]
  it.each(proportional)('%s', (_name, levers, measure, ratio) => {
    expect(measure(at(scales.medium, levers)) / measure(at(scales.medium))).toBeCloseTo(ratio, 9)
  })

  it('self-run Kafka swaps MSK broker-hours for instance-hours and pays for replication across zones', () => {
    const managed = at(scales.large)
    const selfRun = at(scales.large, { kafka: 'self-run' })
    expect(managed.detail.kafka.brokerCost).toBeCloseTo(3 * 0.204 * 730, 9)
    expect(selfRun.detail.kafka.brokerCost).toBeCloseTo(3 * 0.0816 * 730, 9)
    expect(selfRun.monthly.network).toBeGreaterThan(managed.monthly.network)
  })

  it('rounds brokers up to a multiple of the zones', () => {
    expect(at(scales.small, { kafkaZones: 2 }).detail.kafka.brokers).toBe(4)
  })

  const invalid: Array<[string, Partial<Levers>, RegExp]> = [
    ['an instance that is not priced', { instance: 'm9.huge' }, /instance must be one of the priced instances \(m7g\.medium, .*\), got "m9\.huge"/],
    ['no utilisation', { cpuTargetUtilisation: 0 }, /cpuTargetUtilisation must be in \(0, 1\], got 0/],
    ['more than full utilisation', { cpuTargetUtilisation: 1.5 }, /cpuTargetUtilisation must be in \(0, 1\], got 1\.5/],
    ['more replicas than brokers', { kafkaReplicationFactor: 4 }, /kafkaReplicationFactor \(4\) must not exceed kafkaBrokers \(3\)/],
    ['MSK in one zone', { kafkaZones: 1 }, /managed Kafka \(MSK\) spreads brokers over 2 or 3 zones, got kafkaZones 1/],
    ['no commit interval', { commitIntervalSeconds: 0 }, /commitIntervalSeconds must be a number > 0, got 0/],
    ['half a broker', { kafkaBrokers: 2.5 }, /kafkaBrokers must be a whole number ≥ 1, got 2\.5/],
    ['a cache hit ratio above 1', { queryCacheHitRatio: 2 }, /queryCacheHitRatio must be in \[0, 1\], got 2/],
  ]
  it.each(invalid)('refuses %s', (_name, levers, message) => {
    const err = thrownBy(() => at(scales.medium, levers))
    expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
    expect((err as Error).message).toMatch(message)
  })

  it('refuses a scale without trades', () => {
    expect(() => at({ ...scales.small, tradesPerSecond: 0 })).toThrow(/scale small: tradesPerSecond must be > 0, got 0/)
  })
})
