import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../../lib/internal'
import { createBatchingProducer, type BatchingProducer, type BatchSender, type OutgoingRecord } from '../../../lib/internal'

/** A sender that records batches and acknowledges (or fails) when told: pure batching logic under test. */
function recordingSender(fail?: (n: number) => boolean): BatchSender & { batches: number[][]; inFlight: number; maxInFlight: number } {
  const s = {
    transactional: false,
    batches: [] as number[][],
    inFlight: 0,
    maxInFlight: 0,
    async send(records: ReadonlyArray<OutgoingRecord<unknown>>) {
      s.inFlight++
      s.maxInFlight = Math.max(s.maxInFlight, s.inFlight)
      await new Promise((r) => setTimeout(r, 2))
      s.inFlight--
      s.batches.push(records.map((r) => r.meta as number))
      if (fail?.(s.batches.length)) throw new Error('broker said no')
    },
    async close() {},
  }
  return s
}

const record = (i: number, size = 10): OutgoingRecord<number> => ({ topic: 't', key: 'k', value: Buffer.alloc(size), meta: i })

describe('batching producer', () => {
  it('keeps one request in flight, in order, batching what arrives meanwhile', async () => {
    const sender = recordingSender()
    const acked: number[] = []
    const p = createBatchingProducer<number>(sender, { maxRecords: 100, lingerMs: 1, compression: 'none', onAcknowledged: (b) => acked.push(...b.map((r) => r.meta)) }, { logger: silentLogger })
    for (let i = 0; i < 1000; i++) p.enqueue(record(i))
    await p.flush()
    expect(sender.maxInFlight).toBe(1)
    expect(acked).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(Math.max(...sender.batches.map((b) => b.length))).toBeLessThanOrEqual(100)
  })

  it('caps a batch by bytes, but always sends at least one record', async () => {
    const sender = recordingSender()
    const p = createBatchingProducer<number>(sender, { maxRecords: 1000, maxBytes: 100, lingerMs: 0, compression: 'none' }, { logger: silentLogger })
    p.enqueue(record(0, 500))
    for (let i = 1; i <= 30; i++) p.enqueue(record(i, 10))
    await p.flush()
    expect(sender.batches[0]).toEqual([0])
    expect(sender.batches.slice(1).every((b) => b.length <= 10)).toBe(true)
    expect(sender.batches.flat()).toEqual(Array.from({ length: 31 }, (_, i) => i))
  })

  it('reports a failed batch once, keeps it, and fails flush instead of dropping it', async () => {
    const sender = recordingSender((n) => n === 2)
    const failures: unknown[] = []
    const acked: number[] = []
    const p = createBatchingProducer<number>(sender, { maxRecords: 5, lingerMs: 5, compression: 'none', onFailure: (e) => failures.push(e), onAcknowledged: (b) => acked.push(...b.map((r) => r.meta)) }, { logger: silentLogger })
    for (let i = 0; i < 20; i++) p.enqueue(record(i))
    await expect(p.flush()).rejects.toThrow('broker said no')
    expect(failures).toHaveLength(1)
    expect(acked).toEqual([0, 1, 2, 3, 4])
    expect(p.pending()).toBe(15) // the failed batch and everything after it, not lost
    expect(p.pendingBytes()).toBe(150) // the back-pressure bound counts them too
  })

  it('counts the bytes waiting, queued and in flight, down to none once acknowledged', async () => {
    const sender = recordingSender()
    const seen: number[] = []
    const p: BatchingProducer<number> = createBatchingProducer<number>(sender, { maxRecords: 4, lingerMs: 1, compression: 'none', onAcknowledged: () => seen.push(p.pendingBytes()) }, { logger: silentLogger })
    for (let i = 0; i < 10; i++) p.enqueue(record(i, 100))
    expect(p.pendingBytes()).toBe(1000)
    await p.flush()
    expect(p.pendingBytes()).toBe(0)
    // Each acknowledgement sees its own batch still pending, and the rest behind it.
    expect(seen).toEqual([1000, 600, 200])
  })
})
