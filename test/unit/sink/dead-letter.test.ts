import { describe, expect, it } from 'vitest'
import { ErrorCode, WorkbenchError } from '../../../lib/internal'
import { deadLetterKey, deadLetterMessage, rejectReason } from '../../../lib/internal'

describe('dead letters', () => {
  it('names the record’s failure by kind, and leaves outages and unknown errors to fail the batch', () => {
    const cases: Array<[unknown, string | undefined]> = [
      [new WorkbenchError(ErrorCode.NotFound, 'schema id 99 is not registered'), 'unknown_schema'],
      [new WorkbenchError(ErrorCode.SchemaIncompatible, 'writer schema cannot be read'), 'incompatible_schema'],
      [new WorkbenchError(ErrorCode.RecordInvalid, 'truncated Avro body'), 'undecodable'],
      [new WorkbenchError(ErrorCode.ServiceUnavailable, 'registry down', true), undefined],
      [new Error('bug'), undefined],
    ]
    for (const [err, reason] of cases) expect(rejectReason(err)).toBe(reason)
  })

  it('keys a record’s dead letter by where it was read, the same every time it is re-read', () => {
    const source = { topic: 'market.trades', partition: 3, offset: '1234', key: Buffer.from('BTCUSDT'), value: Buffer.from([0, 0, 0, 0, 99]) }
    const a = deadLetterMessage(source, 'unknown_schema', 'schema id 99')
    expect(a.key).toBe(deadLetterKey('market.trades', 3, '1234'))
    expect(deadLetterMessage(source, 'unknown_schema', 'other detail').key).toBe(a.key)
    expect(deadLetterKey('market.trades', 3, '1235')).not.toBe(a.key)
    expect(a.value).toBe(source.value)
    expect(a.headers).toMatchObject({ reason: 'unknown_schema', source: 'iceberg-sink', source_topic: 'market.trades', source_partition: '3', source_offset: '1234', source_key: source.key })
  })

  it('cuts the detail to 500 characters and leaves out a key the record did not have', () => {
    const m = deadLetterMessage({ topic: 't', partition: 0, offset: '0', key: null, value: null }, 'empty_value', 'x'.repeat(2000))
    expect(m.headers.detail).toHaveLength(500)
    expect(m.headers).not.toHaveProperty('source_key')
    expect(m.value).toBeNull()
  })
})
