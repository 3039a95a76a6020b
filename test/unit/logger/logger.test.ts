import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../lib/internal'

describe('logger', () => {
  it('writes JSON lines with namespace and fields, dropping lines under the threshold', () => {
    const lines: string[] = []
    const log = createLogger({ level: 'info', format: 'json', write: (l) => lines.push(l) }).child('sink').child('commit')
    log.debug('hidden')
    log.info('committed', { snapshot: 123n, files: 2 })
    expect(lines).toHaveLength(1)
    const rec = JSON.parse(lines[0]!)
    expect(rec).toMatchObject({ level: 'info', ns: 'sink.commit', msg: 'committed', snapshot: '123', files: 2 })
  })

  it('writes one readable line in pretty format', () => {
    const lines: string[] = []
    createLogger({ write: (l) => lines.push(l) }).warn('lag high', { records: 5 })
    expect(lines[0]).toMatch(/WARN {2}lag high records=5\n$/)
  })
})
