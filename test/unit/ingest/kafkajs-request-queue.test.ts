import { createRequire } from 'node:module'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { requestQueueFixed } from '../../../lib/internal'

/** The CommonJS require kafkajs itself uses (the class its connections build their queues from). */
const load = createRequire(__filename)

interface Queue {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null
  scheduleCheckPendingRequests(): void
  destroy(): void
}

describe('kafkajs request queue fix', () => {
  const RequestQueue = load(path.join(path.dirname(load.resolve('kafkajs')), 'src', 'network', 'requestQueue', 'index.js')) as new (o: object) => Queue
  const logger = { debug: () => undefined, warn: () => undefined }
  const queue = (): Queue => new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 't', broker: 'b', logger })

  it('is installed when lib is imported', () => {
    expect(requestQueueFixed).toBe(true)
  })

  it('arms no timer while nothing is pending (kafkajs 2.2.4 re-armed one every millisecond)', () => {
    const q = queue()
    q.scheduleCheckPendingRequests()
    expect(q.throttleCheckTimeoutId).toBeNull()
    q.throttledUntil = Date.now() + 1000
    q.scheduleCheckPendingRequests()
    expect(q.throttleCheckTimeoutId).toBeNull()
    q.destroy()
  })

  it('still checks again while requests wait, as kafkajs does', () => {
    const q = queue()
    q.pending.push({})
    q.scheduleCheckPendingRequests()
    expect(q.throttleCheckTimeoutId).not.toBeNull()
    q.destroy()
  })
})
