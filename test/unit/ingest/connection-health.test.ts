import { describe, expect, it } from 'vitest'
import { createConnectionHealth } from '../../../lib/internal'

describe('connection health (k2_ingest_connected)', () => {
  it('reads 1 only once every connection group has opened', () => {
    const h = createConnectionHealth(3)
    expect(h.opened(0)).toBe(0)
    expect(h.opened(2)).toBe(0)
    expect(h.opened(1)).toBe(1)
  })

  it('drops to 0 when any one group goes down, and back to 1 when it reconnects', () => {
    const h = createConnectionHealth(2)
    h.opened(0)
    h.opened(1)
    expect(h.closed(1, 'error')).toBe(0)
    expect(h.opened(0)).toBe(0) // group 0 re-opening does not hide group 1's outage
    expect(h.opened(1)).toBe(1)
  })

  it('a rolled connection is no outage: its replacement is already open', () => {
    const h = createConnectionHealth(2)
    h.opened(0)
    h.opened(1)
    expect(h.opened(1)).toBe(1) // the replacement of group 1 opens first
    expect(h.closed(1, 'rolled')).toBeUndefined()
    expect(h.closed(0, 'stale')).toBe(0)
  })

  it.each(['closed', 'error', 'server_shutdown', 'stale'])('a connection ending as %s is an outage', (cause) => {
    const h = createConnectionHealth(1)
    h.opened(0)
    expect(h.closed(0, cause)).toBe(0)
    expect(h.opened(0)).toBe(1)
  })
})
