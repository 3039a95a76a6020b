import { describe, expect, it } from 'vitest'
import { stackDisturbances } from '../../../stack/lib/stack-guard'

describe('stackDisturbances: npm test leaves the user stack as it found it', () => {
  const demo = [
    { name: 'kafka', state: 'up' as const, pid: 100 },
    { name: 'ingest', state: 'up' as const, pid: 200 },
    { name: 'api', state: 'down' as const },
  ]

  it('finds nothing when every service runs in the same process and nothing new runs', () => {
    expect(stackDisturbances(demo, demo)).toEqual([])
  })

  it('names a stopped worker, a restarted broker and a worker left behind', () => {
    const after = [
      { name: 'kafka', state: 'up' as const, pid: 101 },
      { name: 'ingest', state: 'down' as const },
      { name: 'api', state: 'up' as const, pid: 300 },
    ]
    expect(stackDisturbances(demo, after)).toEqual([
      'kafka was restarted (pid 100, now 101)',
      'ingest was up (pid 200) and is down now',
      'api was down and is up now (pid 300): a test left it behind',
    ])
  })

  it('does not count the same process slow to answer a health check (a loaded machine)', () => {
    expect(stackDisturbances(demo, [{ name: 'kafka', state: 'starting', pid: 100 }, { name: 'ingest', state: 'starting', pid: 200 }, { name: 'api', state: 'down' }])).toEqual([])
  })

  it('does not count a service run outside the stack (no pid) as restarted', () => {
    expect(stackDisturbances([{ name: 'kafka', state: 'up' }], [{ name: 'kafka', state: 'up' }])).toEqual([])
  })
})
