/**
 * The figures of one soak run, from its samples: the record issue 16 asks for in
 * docs/benchmarks.json (`SoakSummary`, exactly those fields), and the detail beside it. Pure.
 */
import { histogramIncrease, histogramQuantile, increase, levelName, meanCoreShare, quantileOf, within, type LevelName, type SoakSample } from './soak-sample'

/** One run's figures for the record. Levels are names; shares and fractions run from 0 to 1; null where nothing was measured. */
export interface SoakSummary {
  readonly rate: number
  /** The rate as a fraction of the knee, when a knee is known. */
  readonly kneeFraction: number | null
  readonly minutes: number
  readonly overload: boolean
  readonly maxLevel: { readonly ingest: LevelName | null; readonly sink: LevelName | null }
  readonly shedRecords: number | null
  readonly feedPauses: number | null
  readonly ingestNormalShare: number | null
  readonly lakeLagP99Seconds: number | null
  readonly commitIntervalSeconds: number | null
  readonly commitLatencyP50Ms: number | null
  readonly commitLatencyP99Ms: number | null
  readonly tailMicrosPerRecord: number | null
  readonly apiIdleCoreShare: number | null
  readonly tier1Shed: number | null
  readonly backfilledAll: boolean | null
  readonly endLevel: { readonly ingest: LevelName | null; readonly sink: LevelName | null }
}

/** Where the run's parts lie, in seconds since its start. */
export interface SoakWindows {
  /** No kernel, no API request after the one that woke the tail: the tail's cost per record while it reads. */
  readonly reading?: { readonly from: number; readonly to: number }
  /** No API request for longer than the tail's rest threshold: the idle API's cost. */
  readonly idle?: { readonly from: number; readonly to: number }
  /** What the figures describe: the loaded soak, or overload start to drain end. */
  readonly measured: { readonly from: number; readonly to: number }
  /** Overload runs: when the overload rate began. */
  readonly overloadFrom?: number
}

export interface SummaryInput {
  readonly samples: readonly SoakSample[]
  readonly windows: SoakWindows
  readonly rate: number
  readonly kneeRate?: number
  /** Records per second the stack kept up with at the knee, when known: input above it is overload. */
  readonly kneeRecordsPerSecond?: number
  readonly minutes: number
  readonly overload: boolean
  /** Every API request the load loop made, at `t` seconds since the run started. */
  readonly requests?: readonly ApiRequestRecord[]
  /** The request that woke the API's resting tail before the reading window (it catches up first). */
  readonly wakeQueryMs?: number
  /** Whether the market's stress regime was on (`--stress`); off, the replay rate is the load (D78). */
  readonly stressRegime?: boolean
}

/** One API request of the load loop. */
export interface ApiRequestRecord {
  readonly t: number
  readonly kind: string
  readonly ms: number
  readonly ok: boolean
}

/** What the record cannot say in one number, kept in the run's own JSON. */
export interface SoakDetail {
  /** Where `feedPauses` came from: the pause counter, or the ingest's entries into CIRCUIT_BREAK. */
  readonly feedPausesSource: 'k2_ingest_feed_pauses_total' | 'ingest entries into CIRCUIT_BREAK' | 'not measured'
  /** Seconds from the overload's start to the first tier-3 record shed. */
  readonly tier3ShedAfterSeconds: number | null
  /** Records the topics received per second: while the idle API's tail read, while it rested, and in the measured window. */
  readonly recordsPerSecond: { readonly reading: number | null; readonly idle: number | null; readonly measured: number | null }
  /** The API's share of a core while its tail read with no request (what tailMicrosPerRecord divides). */
  readonly apiReadingCoreShare: number | null
  /** The first query after the warm-up, which woke the tail and waited for it to catch up, ms. */
  readonly wakeQueryMs: number | null
  /** The most the replay exchange ran behind its schedule in the measured window, s (a reader that could not keep up). */
  readonly feedLagMaxSeconds: number | null
  /**
   * What the market offered in the measured window: the highest rate over any 30 s, and the
   * seconds in which the rate (per sample interval) stood above the knee's. The replay exchange's
   * market has a stress regime (about 2.5× its rate for minutes at a time) and bursts per symbol,
   * so a run at a fraction of the knee can hold stretches of real overload; a soak turns the
   * stress regime off unless asked (`stressRegime`, D78).
   */
  readonly input: { readonly stressRegime: boolean; readonly peakRecordsPerSecond: number | null; readonly kneeRecordsPerSecond: number | null; readonly secondsAboveKnee: number | null }
  readonly shedByTier: Readonly<Record<string, number>>
  readonly backfilled: number | null
  /** Mean and peak share of one core, and peak RSS, per process over the measured window. */
  readonly processes: Readonly<Record<string, { readonly meanCore: number | null; readonly peakCore: number | null; readonly peakRssMiB: number }>>
  /** The API load loop and the notebook kernel over the measured window. */
  readonly api: Readonly<Record<string, { readonly requests: number; readonly errors: number; readonly p50Ms: number | null; readonly p99Ms: number | null; readonly maxMs: number | null }>>
  readonly kernel: { readonly cells: number; readonly errors: number }
}

const maxOf = (xs: ReadonlyArray<number | undefined>): number | undefined => {
  const d = xs.filter((x): x is number => x !== undefined)
  return d.length === 0 ? undefined : Math.max(...d)
}
const maxLevelOf = (xs: ReadonlyArray<number | undefined>): LevelName | null => levelName(maxOf(xs))
const orNull = <T>(v: T | undefined): T | null => (v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v)
const round = (v: number | undefined, digits: number): number | null => (v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits)


/**
 * The input's peak over `spanSeconds` and the seconds above `ceiling` records/s, from the
 * samples' cumulative record counts (one interval per pair of samples).
 */
export function inputRates(samples: readonly SoakSample[], ceiling: number | undefined, spanSeconds = 30): { peak: number | undefined; secondsAbove: number | undefined } {
  const points = samples.filter((s) => s.counters.records !== undefined).map((s) => ({ t: s.t, n: s.counters.records! }))
  if (points.length < 2) return { peak: undefined, secondsAbove: undefined }
  let peak: number | undefined
  let secondsAbove = 0
  for (let i = 1, j = 0; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!]
    if (ceiling !== undefined && b.t > a.t && (b.n - a.n) / (b.t - a.t) > ceiling) secondsAbove += b.t - a.t
    while (j < i && points[i]!.t - points[j + 1]!.t >= spanSeconds) j++
    const span = points[i]!.t - points[j]!.t
    if (span >= spanSeconds) peak = Math.max(peak ?? 0, (points[i]!.n - points[j]!.n) / span)
  }
  return { peak, secondsAbove: ceiling === undefined ? undefined : secondsAbove }
}

/** Counter increases by label over the window, from the samples' per-label maps. */
function increaseByKey(samples: readonly SoakSample[], pick: (s: SoakSample) => Readonly<Record<string, number>> | undefined): Record<string, number> {
  const keys = new Set(samples.flatMap((s) => Object.keys(pick(s) ?? {})))
  return Object.fromEntries([...keys].map((k) => [k, increase(samples.map((s) => pick(s)?.[k])) ?? 0]))
}

/** The record and its detail for one run. */
export function summarizeSoak(input: SummaryInput): { summary: SoakSummary; detail: SoakDetail } {
  const { samples, windows } = input
  const measured = within(samples, windows.measured.from, windows.measured.to)
  const idle = windows.idle ? within(samples, windows.idle.from, windows.idle.to) : []
  const reading = windows.reading ? within(samples, windows.reading.from, windows.reading.to) : []
  const seconds = (xs: readonly SoakSample[]): number => (xs.length < 2 ? 0 : xs[xs.length - 1]!.t - xs[0]!.t)
  const perSecond = (xs: readonly SoakSample[]): number | undefined => {
    const n = increase(xs.map((s) => s.counters.records))
    return n === undefined || seconds(xs) <= 0 ? undefined : n / seconds(xs)
  }

  const shed = increase(measured.map((s) => s.counters.shed))
  const shedByTier = increaseByKey(measured, (s) => s.counters.shedByTier)
  const backfilled = increase(measured.map((s) => s.counters.backfilled))
  const pauses = increase(measured.map((s) => s.counters.feedPauses))
  const breaks = increase(measured.map((s) => s.counters.circuitBreaks))
  const byLevel = increaseByKey(measured, (s) => s.counters.ingestSecondsByLevel)
  const levelSeconds = Object.values(byLevel).reduce((a, b) => a + b, 0)
  const atNormal = measured.filter((s) => s.level.ingest !== undefined)
  const normalShare = levelSeconds > 0 ? (byLevel.NORMAL ?? 0) / levelSeconds : atNormal.length > 0 ? atNormal.filter((s) => s.level.ingest === 0).length / atNormal.length : undefined
  const commits = increase(measured.map((s) => s.counters.tradeCommits))
  const latency = histogramIncrease(measured[0]?.counters.commitLatency, measured.at(-1)?.counters.commitLatency)
  // Runs recorded before the tail could rest have an idle window only, in which it read throughout.
  const readingWindow = windows.reading ?? windows.idle
  const readingSamples = windows.reading ? reading : idle
  const apiReading = readingWindow && meanCoreShare(samples, 'api', readingWindow.from, readingWindow.to)
  const readingRate = perSecond(readingSamples)
  const idleWindow = windows.idle ?? windows.reading
  const apiIdle = idleWindow && meanCoreShare(samples, 'api', idleWindow.from, idleWindow.to)
  const idleRate = perSecond(idle)
  const last = samples.at(-1)

  let tier3ShedAfterSeconds: number | undefined
  if (windows.overloadFrom !== undefined) {
    const from = windows.overloadFrom
    const series = samples.filter((s) => s.t >= from)
    const base = series[0]?.counters.shedByTier?.['3'] ?? 0
    tier3ShedAfterSeconds = series.find((s) => (s.counters.shedByTier?.['3'] ?? 0) > base)?.t
    if (tier3ShedAfterSeconds !== undefined) tier3ShedAfterSeconds -= from
  }

  const summary: SoakSummary = {
    rate: input.rate,
    kneeFraction: input.kneeRate ? round(input.rate / input.kneeRate, 3) : null,
    minutes: input.minutes,
    overload: input.overload,
    maxLevel: { ingest: maxLevelOf(measured.map((s) => s.level.ingest)), sink: maxLevelOf(measured.map((s) => s.level.sink)) },
    shedRecords: orNull(shed),
    feedPauses: orNull(pauses ?? breaks),
    ingestNormalShare: round(normalShare, 4),
    lakeLagP99Seconds: round(quantileOf(measured.flatMap((s) => (s.lakeLagSeconds === undefined ? [] : [s.lakeLagSeconds])), 0.99), 1),
    commitIntervalSeconds: commits ? round(seconds(measured) / commits, 1) : null,
    commitLatencyP50Ms: round(mapDefined(histogramQuantile(latency, 0.5), (s) => s * 1000), 0),
    commitLatencyP99Ms: round(mapDefined(histogramQuantile(latency, 0.99), (s) => s * 1000), 0),
    tailMicrosPerRecord: apiReading !== undefined && readingRate ? round((apiReading / readingRate) * 1e6, 2) : null,
    apiIdleCoreShare: round(apiIdle, 4),
    tier1Shed: shed === undefined ? null : (shedByTier['1'] ?? 0),
    backfilledAll: shed === undefined ? null : shed === 0 ? true : (backfilled ?? 0) >= shed,
    endLevel: { ingest: levelName(last?.level.ingest), sink: levelName(last?.level.sink) },
  }

  const names = new Set(measured.flatMap((s) => Object.keys(s.processes)))
  const processes = Object.fromEntries(
    [...names].sort().map((n) => {
      const cpu = measured.map((s) => s.processes[n]?.cpu).filter((x): x is number => x !== undefined)
      return [n, { meanCore: round(meanCoreShare(samples, n, windows.measured.from, windows.measured.to), 3), peakCore: round(cpu.length ? Math.max(...cpu) : undefined, 3), peakRssMiB: Math.max(0, ...measured.map((s) => s.processes[n]?.rssMiB ?? 0)) }]
    }),
  )
  const requests = (input.requests ?? []).filter((r) => r.t >= windows.measured.from && r.t <= windows.measured.to)
  const kinds = ['all', ...new Set(requests.map((r) => r.kind))]
  const api = Object.fromEntries(
    kinds.map((k) => {
      const of = requests.filter((r) => k === 'all' || r.kind === k)
      const ms = of.filter((r) => r.ok).map((r) => r.ms)
      return [k, { requests: of.length, errors: of.length - ms.length, p50Ms: round(quantileOf(ms, 0.5), 1), p99Ms: round(quantileOf(ms, 0.99), 1), maxMs: round(ms.length ? Math.max(...ms) : undefined, 1) }]
    }),
  )
  const offered = inputRates(measured, input.kneeRecordsPerSecond)
  const detail: SoakDetail = {
    feedPausesSource: pauses !== undefined ? 'k2_ingest_feed_pauses_total' : breaks !== undefined ? 'ingest entries into CIRCUIT_BREAK' : 'not measured',
    tier3ShedAfterSeconds: round(tier3ShedAfterSeconds, 0),
    recordsPerSecond: { reading: round(readingRate, 0), idle: round(idleRate, 0), measured: round(perSecond(measured), 0) },
    apiReadingCoreShare: round(apiReading, 4),
    wakeQueryMs: orNull(input.wakeQueryMs),
    feedLagMaxSeconds: round(maxOf(measured.map((s) => s.feedLagSeconds)), 1),
    input: { stressRegime: input.stressRegime ?? true, peakRecordsPerSecond: round(offered.peak, 0), kneeRecordsPerSecond: orNull(input.kneeRecordsPerSecond), secondsAboveKnee: round(offered.secondsAbove, 0) },
    shedByTier,
    backfilled: orNull(backfilled),
    processes,
    api,
    kernel: { cells: measured.reduce((n, s) => n + s.kernel.cells, 0), errors: measured.reduce((n, s) => n + s.kernel.errors, 0) },
  }
  return { summary, detail }
}

const mapDefined = <T, U>(v: T | undefined, f: (v: T) => U): U | undefined => (v === undefined ? undefined : f(v))
