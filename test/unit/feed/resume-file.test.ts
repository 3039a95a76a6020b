import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isWorkbenchError, readResumeFile, resumeFilePath, writeResumeFile } from '../../../lib/internal'

describe('replay resume file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-resume-'))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('round-trips a resume point, one file per seed and port, with no temporary file left', () => {
    const file = resumeFilePath(dir, 42, 9443)
    expect(file).toBe(path.join(dir, 'replay-exchange', 'seed-42-port-9443.json'))
    expect(readResumeFile(file)).toBeUndefined()
    const point = { BTCUSDT: { lastTradeId: 1_234_567, lastUpdateId: 99, lastPrice: '87000.12000000' }, ETHUSDT: { lastUpdateId: 5 } }
    writeResumeFile(file, point)
    expect(readResumeFile(file)).toEqual({ BTCUSDT: point.BTCUSDT, ETHUSDT: { lastTradeId: undefined, lastUpdateId: 5, lastPrice: undefined } })
    expect(fs.readdirSync(path.dirname(file))).toEqual(['seed-42-port-9443.json'])
  })

  it.each([
    ['not json', /is not JSON/],
    ['{"version":2,"symbols":{}}', /version 2, expected 1/],
    ['{"version":1}', /no "symbols" object/],
    ['{"version":1,"symbols":{"BTCUSDT":{"lastTradeId":1.5}}}', /lastTradeId=1.5 for BTCUSDT/],
    ['{"version":1,"symbols":{"BTCUSDT":{"lastPrice":"-1"}}}', /lastPrice="-1" for BTCUSDT/],
  ])('refuses %s with CONFIG_INVALID, naming the file and what to do', (text, message) => {
    const file = path.join(dir, 'bad.json')
    fs.writeFileSync(file, text)
    try {
      readResumeFile(file)
      expect.unreachable()
    } catch (err) {
      expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
      expect(String((err as Error).message)).toMatch(message)
      expect(String((err as Error).message)).toContain(`${file}`)
      expect(String((err as Error).message)).toContain('delete it')
    }
  })
})
