import { describe, expect, it } from 'vitest'
import { coversMarks } from '../../../lib/internal'

const read = (topic: string, offsets: Record<number, bigint>) => ({ topic, offsets: new Map(Object.entries(offsets).map(([p, o]) => [Number(p), o])) })
const ends = (topic: string, offsets: Record<number, bigint>) => new Map([[topic, new Map(Object.entries(offsets).map(([p, o]) => [Number(p), o]))]])

describe('an optimistic tail read against the marks taken at query start', () => {
  it('covers them where it ends at or past every mark', () => {
    const prepared = [{ froms: [read('T', { 0: 10n, 1: 5n })] }]
    expect(coversMarks(prepared, ends('T', { 0: 20n, 1: 9n }), ends('T', { 0: 20n, 1: 7n }))).toBe(true)
  })

  it('does not where one partition ends below its mark: a record acknowledged before the query would be missing', () => {
    const prepared = [{ froms: [read('T', { 0: 10n, 1: 5n })] }]
    expect(coversMarks(prepared, ends('T', { 0: 20n, 1: 9n }), ends('T', { 0: 20n, 1: 10n }))).toBe(false)
  })

  it('covers a partition the lake holds to its mark, however far behind the tail is there', () => {
    const prepared = [{ froms: [read('T', { 0: 30n })] }]
    expect(coversMarks(prepared, ends('T', { 0: 12n }), ends('T', { 0: 30n }))).toBe(true)
  })

  it('does not cover a partition the tail has not seen yet, unless its mark is where the lake stands', () => {
    const prepared = [{ froms: [read('T', { 0: 0n })] }]
    expect(coversMarks(prepared, ends('T', { 0: 4n }), ends('T', { 0: 4n, 1: 1n }))).toBe(false)
    expect(coversMarks(prepared, ends('T', { 0: 4n }), ends('T', { 0: 4n, 1: 0n }))).toBe(true)
  })

  it('checks every read of a topic from its own snapshot: a rollup behind the table needs the same tail', () => {
    const prepared = [{ froms: [read('T', { 0: 50n })] }, { froms: [read('T', { 0: 10n })] }]
    expect(coversMarks(prepared, ends('T', { 0: 40n }), ends('T', { 0: 45n }))).toBe(false)
    expect(coversMarks(prepared, ends('T', { 0: 45n }), ends('T', { 0: 45n }))).toBe(true)
  })
})
