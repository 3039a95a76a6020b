import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readReliabilityRecords, renderReliability, writeReliabilityRecord, type ReliabilityRecord } from '../../../stack/lib/reliability-report'

const chaos: ReliabilityRecord = {
  test: 'sink-chaos',
  at: '2026-12-04T22:00:00.000Z',
  entries: [
    { kind: 'kill', target: 'iceberg-sink', what: 'SIGKILL at commit-sent', count: 12 },
    { kind: 'kill', target: 'maintenance', what: 'SIGKILL while compacting', count: 4 },
  ],
  oracle: "the exchange's tape; the lake read by pyiceberg",
  checked: 97_145,
  lost: 0,
  duplicated: 0,
}
const fuzz: ReliabilityRecord = {
  test: 'api-fuzz',
  at: '2026-12-04T21:50:00.000Z',
  entries: [{ kind: 'bad-input', target: 'api', what: 'hostile HTTP requests', count: 5000 }],
  oracle: 'every answer a 200 or a 4xx',
  checked: 0,
  lost: 0,
  duplicated: 0,
  unanswered: 0,
}

describe('docs/reliability.md from the fault tests\' records', () => {
  it('lists kills, faults and bad inputs with their tests, and the totals of lost and duplicated records', () => {
    const md = renderReliability([fuzz, chaos], '2 cores')
    expect(md).toContain('| iceberg-sink | SIGKILL at commit-sent | 12 | sink-chaos |')
    expect(md).toContain('| api | hostile HTTP requests | 5,000 | api-fuzz |')
    expect(md).toMatch(/## Faults injected\n\nNone recorded\./)
    expect(md).toContain('Records checked: 97,145. **Lost: 0. Duplicated: 0.**')
    expect(md).toContain('- Runs: 2026-12-04T21:50:00.000Z to 2026-12-04T22:00:00.000Z (2 tests)')
  })

  it('shows a loss where a run had one, rather than a clean total', () => {
    const md = renderReliability([{ ...chaos, lost: 3, duplicated: 1 }], '2 cores')
    expect(md).toContain('**Lost: 3. Duplicated: 1.**')
    expect(md).toMatch(/\| sink-chaos \| [^|]+ \| [^|]+ \| 97,145 \| 3 \| 1 \| equal \| – \|/)
    expect(renderReliability([{ ...chaos, valuesDiffer: true }], '2 cores')).toContain('**differ**')
  })

  it('keeps one record per test, the last written', () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-reliability-'))
    try {
      writeReliabilityRecord(state, chaos)
      writeReliabilityRecord(state, { ...chaos, checked: 5 })
      writeReliabilityRecord(state, fuzz)
      expect(readReliabilityRecords(state).map((r) => [r.test, r.checked])).toEqual([
        ['api-fuzz', 0],
        ['sink-chaos', 5],
      ])
    } finally {
      fs.rmSync(state, { recursive: true, force: true })
    }
  })
})
