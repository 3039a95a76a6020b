import { describe, expect, it } from 'vitest'
import { LatestKeeper, answerLatest, type LatestEntry } from '../../../lib/internal'

// The in-memory latest index (D91) must give exactly what the SQL over the same rows gives:
// per key, among the rows whose time is in [from, to), the one with the highest order.

interface Row {
  key: string
  order: bigint
  timeUs: bigint
}

/** What `SELECT key, max(order), arg_max(time, order) … WHERE time in range GROUP BY key` answers. */
function reference(rows: readonly Row[], fromUs: bigint, toUs: bigint): Array<[string, bigint, bigint]> {
  const best = new Map<string, Row>()
  for (const r of rows) {
    if (r.timeUs < fromUs || r.timeUs >= toUs) continue
    const b = best.get(r.key)
    if (!b || r.order > b.order) best.set(r.key, r)
  }
  return [...best.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((r) => [r.key, r.order, r.timeUs])
}

/** The entries a part of the rows gives (what the lake part reads per key). */
function entriesOf(rows: readonly Row[]): LatestEntry[] {
  const by = new Map<string, { best: Row; maxTimeUs: bigint }>()
  for (const r of rows) {
    const m = by.get(r.key)
    if (!m) by.set(r.key, { best: r, maxTimeUs: r.timeUs })
    else {
      if (r.order > m.best.order) m.best = r
      if (r.timeUs > m.maxTimeUs) m.maxTimeUs = r.timeUs
    }
  }
  return [...by.values()].map(({ best, maxTimeUs }) => ({ key: best.key, order: best.order, timeUs: best.timeUs, maxTimeUs, values: [best.key, best.order, best.timeUs] }))
}

function random(seed: number): () => number {
  let s = seed
  return () => ((s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5), ((s >>> 0) % 1_000_000) / 1_000_000)
}

function randomRows(rnd: () => number, monotone: boolean): Row[] {
  const keys = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', 'XRPUSDT']
  const rows: Row[] = []
  for (const key of keys) {
    const n = Math.floor(rnd() * 30)
    let t = BigInt(Math.floor(rnd() * 1000))
    for (let i = 1; i <= n; i++) {
      t += BigInt(Math.floor(rnd() * 50))
      // Out of order times now and then, unless times rise with ids.
      const time = monotone || rnd() < 0.8 ? t : t - BigInt(Math.floor(rnd() * 200))
      rows.push({ key, order: BigInt(i * 7), timeUs: time })
    }
  }
  return rows.sort(() => rnd() - 0.5)
}

describe('answerLatest', () => {
  it('answers as the SQL over the same rows does, split into parts any way, or says it cannot', () => {
    let answered = 0
    let declined = 0
    for (let seed = 1; seed <= 400; seed++) {
      const rnd = random(seed)
      const monotone = seed % 2 === 0
      const rows = randomRows(rnd, monotone)
      // Parts overlap (a record in the lake and in the tail) and together hold every row.
      const parts = [[] as Row[], [] as Row[], [] as Row[]]
      for (const r of rows) {
        parts[Math.floor(rnd() * 3)]!.push(r)
        if (rnd() < 0.2) parts[Math.floor(rnd() * 3)]!.push(r)
      }
      const fromUs = BigInt(Math.floor(rnd() * 1500))
      const toUs = fromUs + BigInt(Math.floor(rnd() * 1500))
      const answer = answerLatest(parts.map(entriesOf), { fromUs, toUs })
      if (answer === undefined) {
        declined++
        expect(monotone && rows.every((r) => r.timeUs < toUs), `seed ${seed}: with times rising with ids and none past the range, the index answers`).toBe(false)
        continue
      }
      answered++
      expect(answer.map((e) => [e.key, e.order, e.timeUs]), `seed ${seed}`).toEqual(reference(rows, fromUs, toUs))
    }
    expect(answered).toBeGreaterThan(200)
    expect(declined).toBeGreaterThan(0)
  })

  it('limits the answer to the keys asked for, and leaves out keys with no row since the range began', () => {
    const rows: Row[] = [
      { key: 'A', order: 5n, timeUs: 50n },
      { key: 'B', order: 9n, timeUs: 10n },
      { key: 'C', order: 3n, timeUs: 70n },
    ]
    expect(answerLatest([entriesOf(rows)], { fromUs: 40n, toUs: 100n })?.map((e) => e.key)).toEqual(['A', 'C'])
    expect(answerLatest([entriesOf(rows)], { fromUs: 40n, toUs: 100n }, new Set(['C', 'Z']))?.map((e) => e.key)).toEqual(['C'])
    // C's latest row is past the range's end: an earlier row of C might be inside it.
    expect(answerLatest([entriesOf(rows)], { fromUs: 40n, toUs: 60n })).toBeUndefined()
    expect(answerLatest([entriesOf(rows)], { fromUs: 40n, toUs: 60n }, new Set(['A']))?.map((e) => e.key)).toEqual(['A'])
  })
})

describe('LatestKeeper', () => {
  const names = ['symbol', 'trade_id', 'event_time', 'price', 'side']
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']
  const keeper = () =>
    new LatestKeeper({ key: 'symbol', order: 'trade_id', time: 'event_time', fields: ['symbol', 'trade_id', 'event_time', 'price'] }, names, (code, values) => ({
      key: symbols[code]!,
      values: values.map((v, j) => (j === 0 ? symbols[v as number] : v)),
    }))

  it('keeps per key the row with the highest order and the latest time, as the tail stores them (numbers where safe, else bigints)', () => {
    const rnd = random(7)
    const k = keeper()
    const rows: Row[] = []
    for (let chunk = 0; chunk < 20; chunk++) {
      const n = 1 + Math.floor(rnd() * 50)
      const columns: unknown[][] = names.map(() => new Array<unknown>(n))
      for (let i = 0; i < n; i++) {
        const code = Math.floor(rnd() * symbols.length)
        const order = BigInt(Math.floor(rnd() * 10_000))
        const time = 1_700_000_000_000_000n + BigInt(Math.floor(rnd() * 1e9))
        // The tail hands safe integers over as numbers and the rest as bigints.
        columns[0]![i] = code
        columns[1]![i] = rnd() < 0.5 ? Number(order) : order
        columns[2]![i] = rnd() < 0.5 ? time : 2n ** 60n + time
        columns[3]![i] = `${order}.5`
        columns[4]![i] = 0
        const timeUs = BigInt(columns[2]![i] as bigint)
        rows.push({ key: symbols[code]!, order, timeUs })
        k.note(columns, i)
      }
    }
    const expected = entriesOf(rows).sort((a, b) => (a.key < b.key ? -1 : 1))
    const got = k.entries().sort((a, b) => (a.key < b.key ? -1 : 1))
    expect(got.map((e) => [e.key, e.order, e.maxTimeUs])).toEqual(expected.map((e) => [e.key, e.order, e.maxTimeUs]))
    for (const e of got) {
      expect(e.values[0]).toBe(e.key)
      expect(BigInt(e.values[1] as bigint)).toBe(e.order)
      expect(BigInt(e.values[2] as bigint)).toBe(e.timeUs)
      expect(e.values[3]).toBe(`${e.order}.5`)
    }
  })

  it('says it has noted every record from offsets at or above where it (re)started, per partition', () => {
    const k = keeper()
    k.restart(0, 100n)
    k.restart(1, 40n)
    expect(k.notesFrom(new Map([[0, 100n], [1, 40n]]))).toBe(true)
    expect(k.notesFrom(new Map([[0, 120n], [1, 90n]]))).toBe(true)
    expect(k.notesFrom(new Map([[0, 99n], [1, 90n]]))).toBe(false)
    // A partition missing from the offsets is read from 0: only a keeper that started there has all of it.
    expect(k.notesFrom(new Map([[0, 100n]]))).toBe(false)
    // The tail rested and was moved up past records it never read.
    k.restart(0, 150n)
    expect(k.notesFrom(new Map([[0, 120n], [1, 90n]]))).toBe(false)
    expect(k.notesFrom(new Map([[0, 150n], [1, 90n]]))).toBe(true)
  })
})
