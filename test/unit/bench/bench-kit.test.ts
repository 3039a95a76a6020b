import { describe, expect, it } from 'vitest'
import { parseOptions } from '../../../bench/bench-kit'

const options = { rate: 'string', knee: 'boolean' } as const

describe('parseOptions', () => {
  it('reads values and flags', () => {
    expect(parseOptions(options, ['--rate', '4.7', '--knee'])).toEqual({ rate: '4.7', knee: true })
    expect(parseOptions(options, [])).toEqual({})
  })
  it('refuses a typo instead of leaving the option at its default, and names what the command takes', () => {
    expect(() => parseOptions(options, ['--rtae', '4.7'])).toThrow(/--rtae.*This command takes --rate <value>, --knee\./s)
  })
  it('refuses a flag given a value and an option missing its value', () => {
    expect(() => parseOptions(options, ['--knee=yes'])).toThrow(/knee/)
    expect(() => parseOptions(options, ['--rate'])).toThrow(/rate/)
  })
})
