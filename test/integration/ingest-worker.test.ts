import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { metricDefinitions, projectRoot } from '../../lib'
import { eventually, freePort, stackConfig, uniqueName } from './helpers'

function start(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = ''
  // One process (node with tsx's loader), so SIGTERM reaches the worker itself.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'pipelines', script)], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

/** The workers as a user runs them: replay exchange and ingest as processes, scraped, stopped with SIGTERM. */
describe('ingest worker process', () => {
  const config = stackConfig()
  const topics = { K2_TOPIC_TRADES: uniqueName('w-trades'), K2_TOPIC_QUOTES: uniqueName('w-quotes'), K2_TOPIC_DEAD_LETTER: uniqueName('w-dead') }
  const kafka = new Kafka({ clientId: uniqueName('worker-test'), brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING })

  afterAll(async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {})
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
        `the ingest worker to report produced trades (output so far: ${ingest.output().slice(-500)})`,
      )
      for (const def of Object.values(metricDefinitions).filter((d) => d.name.startsWith('k2_ingest_'))) {
        expect(body, def.name).toContain(`# HELP ${def.name} ${def.help}`)
      }
      const target = path.join(config.paths.scrapeTargets, 'ingest.json')
      expect(JSON.parse(fs.readFileSync(target, 'utf8'))[0].targets).toEqual([`${config.host}:${metricsPort}`])

      ingest.child.kill('SIGTERM')
      expect(await ingest.exited).toBe(0)
      expect(ingest.output()).toContain('stopped cleanly')
      expect(fs.existsSync(target)).toBe(false)
    } finally {
      ingest.child.kill('SIGKILL')
      replay.child.kill('SIGTERM')
      await replay.exited
    }
  })
})
