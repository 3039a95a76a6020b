import { describe, expect, it } from 'vitest'
import { createFeedGate, type FeedPauseCause } from '../../../lib/internal'

/** A gate over a feed that records whether it is paused, and the pauses counted by cause. */
function gateOver(highWater = 1000) {
  const feed = { paused: false, pauses: 0, resumes: 0, pause: () => ((feed.paused = true), feed.pauses++), resume: () => ((feed.paused = false), feed.resumes++) }
  const counted: FeedPauseCause[] = []
  const gate = createFeedGate(highWater, (cause) => counted.push(cause))
  gate.attach(feed)
  return { gate, feed, counted }
}

describe('feed gate', () => {
  it.each([
    { name: 'at the high water the feed keeps reading', pending: 1000, paused: false },
    { name: 'above the high water the feed pauses', pending: 1001, paused: true },
  ])('$name', ({ pending, paused }) => {
    const { gate, feed, counted } = gateOver(1000)
    expect(gate.enqueued(pending)).toBe(paused)
    expect(feed.paused).toBe(paused)
    expect(gate.reading).toBe(!paused)
    expect(counted).toEqual(paused ? ['backpressure'] : [])
  })

  it('resumes only once Kafka is back under half the high water, counting one pause', () => {
    const { gate, feed, counted } = gateOver(1000)
    gate.enqueued(1500)
    expect(gate.enqueued(2000)).toBe(false) // already paused: not paused again
    expect(gate.acknowledged(700)).toBe(false)
    expect(gate.acknowledged(500)).toBe(false)
    expect(feed.paused).toBe(true)
    expect(gate.acknowledged(499)).toBe(true)
    expect(feed.paused).toBe(false)
    expect(gate.kafkaBehind).toBe(false)
    expect(counted).toEqual(['backpressure'])
  })

  it('an acknowledgement while Kafka is not behind changes nothing', () => {
    const { gate, feed } = gateOver(1000)
    expect(gate.acknowledged(0)).toBe(false)
    expect(feed.resumes).toBe(0)
  })

  it('the circuit break pauses the feed and is counted as such', () => {
    const { gate, feed, counted } = gateOver()
    gate.setCircuit(true)
    expect(feed.paused).toBe(true)
    gate.setCircuit(false)
    expect(feed.paused).toBe(false)
    expect(counted).toEqual(['circuit_break'])
  })

  it('holds the feed while either cause holds, and counts the pause once', () => {
    const { gate, feed, counted } = gateOver(1000)
    gate.setCircuit(true)
    gate.enqueued(5000)
    gate.acknowledged(0) // Kafka caught up, but the level still breaks the circuit
    expect(feed.paused).toBe(true)
    gate.enqueued(5000)
    gate.setCircuit(false) // the level recovers, but Kafka is behind again
    expect(feed.paused).toBe(true)
    gate.acknowledged(0)
    expect(feed.paused).toBe(false)
    expect(counted).toEqual(['circuit_break'])
  })

  it('every level change while reading resumes the feed again (which restarts its stale clock)', () => {
    const { gate, feed } = gateOver()
    gate.setCircuit(false)
    gate.setCircuit(false)
    expect(feed.resumes).toBe(2)
  })

  it('at stop the circuit is released without resuming a feed that is closing', () => {
    const { gate, feed } = gateOver(1000)
    gate.setCircuit(true)
    gate.releaseCircuit()
    expect(feed.paused).toBe(true)
    expect(feed.resumes).toBe(0)
    // Kafka behind and then caught up during the final flush: now nothing holds the feed.
    gate.enqueued(5000)
    gate.acknowledged(0)
    expect(feed.paused).toBe(false)
  })

  it('a pause before the feed exists is counted, and acts on the feed only once attached', () => {
    const counted: FeedPauseCause[] = []
    const gate = createFeedGate(1000, (cause) => counted.push(cause))
    gate.setCircuit(true)
    expect(gate.reading).toBe(false)
    const feed = { paused: false, pause: () => (feed.paused = true), resume: () => (feed.paused = false) }
    gate.attach(feed)
    expect(feed.paused).toBe(false)
    gate.setCircuit(true)
    expect(feed.paused).toBe(true)
    expect(counted).toEqual(['circuit_break'])
  })
})
