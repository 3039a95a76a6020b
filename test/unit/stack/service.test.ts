import { describe, expect, it } from 'vitest'
import * as path from 'node:path'
import { parseConfig, projectRoot } from '../../../lib/internal'
import { managedProcess } from '../../../stack/lib/manager'
import { renderTemplate } from '../../../stack/lib/service'
import { allServices } from '../../../stack/services'
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

describe('managed process files', () => {
  it('go by service and port, so workers on other ports never share the pid or log files of the first set', () => {
    const silent = { line: () => undefined, progress: () => undefined } as never
    const ingest = allServices.find((d) => d.name === 'ingest')!
    const files = (env: Record<string, string>): { pidFile: string; logFile: string } => {
      const { pidFile, logFile } = managedProcess(parseConfig(env, projectRoot), silent, ingest)
      return { pidFile: path.basename(pidFile), logFile: path.basename(logFile) }
    }
    expect(files({})).toEqual({ pidFile: 'ingest-9464.pid', logFile: 'ingest-9464.log' })
    expect(files({ K2_INGEST_METRICS_PORT: '19464' })).toEqual({ pidFile: 'ingest-19464.pid', logFile: 'ingest-19464.log' })
  })
})
