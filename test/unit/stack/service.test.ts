import { describe, expect, it } from 'vitest'
import { renderTemplate } from '../../../stack/lib/service'
import { majorVersion } from '../../../stack/lib/provision'

describe('renderTemplate', () => {
  it('fills placeholders and refuses unknown ones', () => {
    expect(renderTemplate('listeners=PLAINTEXT://${HOST}:${PORT}', { HOST: '127.0.0.1', PORT: 9092 })).toBe('listeners=PLAINTEXT://127.0.0.1:9092')
    expect(() => renderTemplate('${MISSING}', {})).toThrow('${MISSING}')
  })
})

describe('majorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "1.8.0_392"', 8],
    ['Python 3.11.7', 3],
    ['no digits', NaN],
  ])('%s → %s', (text, major) => {
    expect(majorVersion(text)).toBe(major)
  })
})
