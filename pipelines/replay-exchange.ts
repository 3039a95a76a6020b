/**
 * The replay exchange as a process: a local server that speaks Binance's market-data protocol
 * and plays the seeded synthetic market (or a capture), so the ingestor runs without Binance.
 *
 *   node stack/bootstrap.cjs pipelines/replay-exchange.ts
 *
 * Settings come from lib/config: K2_HOST, K2_REPLAY_PORT (default 9443), K2_REPLAY_RATE (1 = real
 * time, `max` = as fast as clients read), K2_REPLAY_SEED, K2_REPLAY_FAULTS (JSON, e.g.
 * `{"omit":0.001,"drop":{"afterMs":60000}}`). K2_REPLAY_CAPTURE (a capture file to play instead
 * of the synthetic market, e.g. data/sample-capture.jsonl) is read here until it moves there too.
 * Runs until SIGTERM or SIGINT, then sends serverShutdown to every client and exits 0; exits 1
 * when it cannot start.
 *
 * The synthetic market resumes where the last run on this seed and port stopped (trade ids,
 * update ids, prices), from `<state>/replay-exchange/seed-<seed>-port-<port>.json`, written
 * every second and at stop. A restarted exchange therefore looks to the ingestor like a quiet
 * spell, not a replay of ids it already holds. After a hard kill up to a second of ids can be
 * issued again; the ingestor drops those as duplicates and counts them.
 */
import * as path from 'node:path'
import {
  ErrorCode,
  WorkbenchError,
  createLogger,
  createReplayExchange,
  errorMessage,
  loadConfig,
  projectRoot,
  readResumeFile,
  resumeFilePath,
  writeResumeFile,
  type ReplayFaults,
} from '../lib/index'
import { stopped, workerStopSignal } from './stop-signal'

function parseFaults(text: string): ReplayFaults {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `K2_REPLAY_FAULTS is not JSON (${errorMessage(err)}); expected an object such as {"omit":0.001,"duplicate":0.001}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `K2_REPLAY_FAULTS=${text} is not a JSON object; expected e.g. {"omit":0.001,"duplicate":0.001}`)
  }
  return parsed as ReplayFaults // the exchange validates every fault and names the bad ones
}

async function main(): Promise<number> {
  const config = loadConfig(process.env)
  const logger = createLogger({ level: config.log.level, format: config.log.format, write: (line) => process.stderr.write(line) })
  try {
    const capture = process.env.K2_REPLAY_CAPTURE?.trim()
    const resumeFile = capture ? undefined : resumeFilePath(config.paths.state, config.replay.seed, config.replay.port)
    const resume = resumeFile ? readResumeFile(resumeFile) : undefined
    const exchange = createReplayExchange(
      {
        host: config.host,
        port: config.replay.port,
        rate: config.replay.rate,
        seed: config.replay.seed,
        symbols: config.replay.symbols,
        actionsPerSecond: config.replay.actionsPerSecond,
        takerShare: config.replay.takerShare,
        stress: config.replay.stress,
        historyPerSymbol: config.replay.historyPerSymbol,
        historyRetainMs: config.replay.historySeconds * 1000,
        faults: parseFaults(config.replay.faults),
        capturePath: capture ? path.resolve(projectRoot, capture) : undefined,
        resume,
      },
      { logger },
    )
    const stop = workerStopSignal(config, logger)
    await exchange.start()
    if (resume) logger.info('resumed the market where the last run stopped', { file: resumeFile, symbols: Object.keys(resume).length })
    const save = (): void => {
      if (!resumeFile) return
      try {
        writeResumeFile(resumeFile, exchange.resumePoint())
      } catch (err) {
        logger.warn('cannot write the resume file; a restart would replay ids', { file: resumeFile, error: errorMessage(err) })
      }
    }
    const saver = setInterval(save, 1000)
    logger.info('replay exchange ready', { streams: `${exchange.url}/stream?streams=btcusdt@trade/btcusdt@bookTicker`, rest: `${exchange.restUrl}/api/v3/exchangeInfo` })
    await stopped(stop)
    logger.info('stopping', { signal: String(stop.reason) })
    await exchange.close()
    clearInterval(saver)
    save()
    const { faults, ...stats } = exchange.stats()
    logger.info('stopped', { ...stats, faults: JSON.stringify(faults) })
    return 0
  } catch (err) {
    logger.error('replay exchange failed', { error: errorMessage(err) })
    return 1
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`replay exchange failed: ${errorMessage(err)}\n`)
    process.exit(1)
  },
)
