/**
 * The replay exchange's resume point on disk: one small JSON file per exchange (seed and port),
 * written atomically (temporary file, then rename) so a killed worker leaves the previous
 * point, never half a file.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, errorMessage } from '../errors/index'
import type { MarketResumePoint, SymbolResumePoint } from './market-events'

const formatVersion = 1

/** The resume file of the exchange with this seed and port, under the state folder. */
export function resumeFilePath(stateDir: string, seed: number, port: number): string {
  return path.join(stateDir, 'replay-exchange', `seed-${seed}-port-${port}.json`)
}

/** Reads a resume point; undefined when there is none yet. A file that is not one is an error naming it. */
export function readResumeFile(file: string): MarketResumePoint | undefined {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `cannot read the replay resume file ${file}: ${errorMessage(err)}`, false, { cause: err })
  }
  const bad = (why: string): WorkbenchError =>
    new WorkbenchError(
      ErrorCode.ConfigInvalid,
      `the replay resume file ${file} ${why}; delete it to start the market from its seed (a client that deduplicates by trade id will then drop trades until the ids pass the ones it holds)`,
    )
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw bad(`is not JSON (${errorMessage(err)})`)
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad('is not a JSON object')
  const { version, symbols } = parsed as { version?: unknown; symbols?: unknown }
  if (version !== formatVersion) throw bad(`has version ${JSON.stringify(version)}, expected ${formatVersion}`)
  if (typeof symbols !== 'object' || symbols === null || Array.isArray(symbols)) throw bad('has no "symbols" object')
  const point: Record<string, SymbolResumePoint> = {}
  for (const [symbol, raw] of Object.entries(symbols as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null) throw bad(`has a non-object entry for ${symbol}`)
    const { lastTradeId, lastUpdateId, lastPrice } = raw as Record<string, unknown>
    const id = (v: unknown, name: string): number | undefined => {
      if (v === undefined) return undefined
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`has ${name}=${JSON.stringify(v)} for ${symbol}, not a whole number`)
      return v
    }
    if (lastPrice !== undefined && (typeof lastPrice !== 'string' || !/^\d+(\.\d+)?$/.test(lastPrice))) throw bad(`has lastPrice=${JSON.stringify(lastPrice)} for ${symbol}, not a decimal string`)
    point[symbol] = { lastTradeId: id(lastTradeId, 'lastTradeId'), lastUpdateId: id(lastUpdateId, 'lastUpdateId'), lastPrice: lastPrice as string | undefined }
  }
  return point
}

/** Writes a resume point atomically, creating the folder. */
export function writeResumeFile(file: string, point: MarketResumePoint): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, `${JSON.stringify({ version: formatVersion, writtenAt: new Date().toISOString(), symbols: point })}\n`)
  fs.renameSync(tmp, file)
}
