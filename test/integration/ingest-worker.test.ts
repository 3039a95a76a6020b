import * as fs from 'node:fs'
import * as path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { metricDefinitions } from '../../lib/internal'
import { eventually, freePort, stackConfig, startWorker as start, uniqueName } from './helpers'

/** The workers as a user runs them: replay exchange and ingest as processes, scraped, stopped with SIGTERM. */
describe('ingest worker process', () => {
  const config = stackConfig()
  const topics = { K2_TOPIC_TRADES: uniqueName('w-trades'), K2_TOPIC_QUOTES: uniqueName('w-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('w-dead') }
  const kafka = new Kafka({ clientId: uniqueName('worker-test'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })

  const restartTopics = { K2_TOPIC_TRADES: uniqueName('wr-trades'), K2_TOPIC_QUOTES: uniqueName('wr-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('wr-dead') }

  afterAll(async () => {
    const admin = kafka.admin()
    await admin.connect()
    const all = [...Object.values(topics), ...Object.values(restartTopics)]
    const existing = new Set(await admin.listTopics())
    const mine = all.flatMap((t) => [t, `${t}.checkpoint`, `${t}.deferred`]).filter((t) => existing.has(t))
    await admin.deleteTopics({ topics: mine }).catch(() => {})
    await admin.disconnect()
  })

  it('serves every ingest metric on /metrics, registers with Prometheus, and exits 0 on SIGTERM after flushing', async () => {
    const replayPort = await freePort()
    const metricsPort = await freePort()
    const replay = start('replay-exchange.ts', { K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '20', K2_REPLAY_SEED: '3', K2_LOG_FORMAT: 'json' })
    const ingest = start('ingest.ts', {
      ...topics,
      K2_REPLAY_PORT: String(replayPort),
      K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT',
      K2_INGEST_METRICS_PORT: String(metricsPort),
      K2_LOG_FORMAT: 'json',
    })
    try {
      const body = await eventually(
        async () => {
          const res = await fetch(`http://${config.host}:${metricsPort}/metrics`)
          const text = await res.text()
          return /k2_ingest_records_total\{stream="trades"\} [1-9]/.test(text) ? text : undefined
        },
        60_000,
        () => `the ingest worker to report produced trades (${ingest.describe()})`,
      )
      for (const def of Object.values(metricDefinitions).filter((d) => d.name.startsWith('k2_ingest_'))) {
        expect(body, def.name).toContain(`# HELP ${def.name} ${def.help}`)
      }
      const target = path.join(config.paths.scrapeTargets, `ingest-${metricsPort}.json`)
      expect(JSON.parse(fs.readFileSync(target, 'utf8'))[0].targets).toEqual([`${config.host}:${metricsPort}`])

      ingest.child.kill('SIGTERM')
      expect(await ingest.exited).toBe(0)
      expect(ingest.output()).toContain('stopped cleanly')
      expect(fs.existsSync(target)).toBe(false)
    } finally {
      ingest.child.kill('SIGKILL')
      replay.child.kill('SIGTERM')
      await replay.exited
      fs.rmSync(path.join(config.paths.state, 'replay-exchange', `seed-3-port-${replayPort}.json`), { force: true })
    }
  })

  it('keeps producing new trades when the replay exchange restarts: the market resumes its ids instead of replaying them', async () => {
    const replayPort = await freePort()
    const metricsPort = await freePort()
    // A seed of its own, so the resume file (keyed by seed and port) is this test's alone.
    const seed = String(100_000 + Math.floor(Math.random() * 1_000_000_000))
    const replayEnv = { K2_REPLAY_PORT: String(replayPort), K2_REPLAY_RATE: '20', K2_REPLAY_SEED: seed, K2_LOG_FORMAT: 'json' }
    const resumeFile = path.join(config.paths.state, 'replay-exchange', `seed-${seed}-port-${replayPort}.json`)
    let replay = start('replay-exchange.ts', replayEnv)
    const ingest = start('ingest.ts', {
      ...restartTopics,
      K2_REPLAY_PORT: String(replayPort),
      K2_FEED_SYMBOLS: 'BTCUSDT,ETHUSDT',
      K2_INGEST_METRICS_PORT: String(metricsPort),
      K2_LOG_FORMAT: 'json',
    })
    const counter = (text: string, series: string): number => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? 0)
    const scrape = async (): Promise<string> => (await fetch(`http://${config.host}:${metricsPort}/metrics`)).text()
    try {
      await eventually(
        async () => (counter(await scrape(), 'k2_ingest_records_total{stream="trades"}') >= 100 ? true : undefined),
        60_000,
        () => `the ingest worker to produce 100 trades (${ingest.describe()})`,
      )
      replay.child.kill('SIGTERM')
      expect(await replay.exited).toBe(0)
      const saved = JSON.parse(fs.readFileSync(resumeFile, 'utf8')) as { symbols: Record<string, { lastTradeId?: number }> }
      expect(saved.symbols.BTCUSDT?.lastTradeId).toBeGreaterThan(0)
      // The trades still in flight land first: count from when the total stands still.
      let before = -1
      await eventually(
        async () => {
          const n = counter(await scrape(), 'k2_ingest_records_total{stream="trades"}')
          const still = n === before
          before = n
          return still ? true : (await new Promise((r) => setTimeout(r, 1000)), undefined)
        },
        30_000,
        'the trade count to settle after the exchange stopped',
      )

      replay = start('replay-exchange.ts', replayEnv)
      const after = await eventually(
        async () => {
          const text = await scrape()
          const n = counter(text, 'k2_ingest_records_total{stream="trades"}')
          return n >= before + 200 ? text : undefined
        },
        90_000,
        () => `new trades after the restart (exchange: ${replay.describe()}; ingest: ${ingest.describe()})`,
      )
      expect(replay.output()).toContain('resumed the market where the last run stopped')
      // A graceful stop saves the exact point: nothing is taken for a replay. The tape runs while
      // the ingestor reconnects, as an exchange's does; those trades come back from REST history.
      expect(counter(after, 'k2_ingest_duplicates_total{stream="trades"}')).toBe(0)
      expect(counter(after, 'k2_ingest_gap_trades_unrepairable_total')).toBe(0)
    } finally {
      ingest.child.kill('SIGKILL')
      replay.child.kill('SIGTERM')
      await replay.exited
      fs.rmSync(resumeFile, { force: true })
    }
  }, 240_000)
})
