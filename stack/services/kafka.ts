import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { javaRequirement, mavenRequirement, once, runStep } from '../lib/provision'
import { renderTemplate, type ServiceContext, type ServiceDefinition } from '../lib/service'

/**
 * 4.3.1, not 4.4.0: on Maven Central 4.4.0 has no kafka-tools artifact and some of its poms put
 * test libraries in runtime scope (stack/kafka/pom.xml says more).
 */
const version = '4.3.1'
const libs = (ctx: ServiceContext): string => path.join(ctx.cacheDir, version, 'libs')
const kafkaDir = (ctx: ServiceContext): string => path.join(ctx.config.paths.root, 'stack', 'kafka')
const dataDir = (ctx: ServiceContext): string => path.join(ctx.stateDir, 'data')

/**
 * JVM flags for a small dev broker on 2 cores: SerialGC and C1-only compilation start it 2-3x
 * faster than Kafka's default G1 flags and take ~35 MB less memory (measured, docs/decisions.md).
 */
const jvm = (ctx: ServiceContext): string[] => [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${path.join(kafkaDir(ctx), 'log4j2.yaml')}`,
  '-cp',
  `${libs(ctx)}/*`,
]

/** A KRaft cluster id: 16 random bytes in base64url (22 characters), never starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** Apache Kafka in KRaft mode, one combined broker + controller, jars from Maven Central. */
export const kafka: ServiceDefinition = {
  name: 'kafka',
  group: 'infra',
  title: 'Apache Kafka (KRaft)',
  version,
  dependsOn: [],
  requirements: [javaRequirement('Kafka'), mavenRequirement('the Kafka jars')],
  startTimeoutMs: 90_000,
  ports: (c) => [c.kafka.port, c.kafka.controllerPort],
  address: (c) => c.kafka.brokers.join(','),

  async provision(ctx) {
    await once(path.join(libs(ctx), '.k2-complete'), () =>
      runStep(
        ctx.reporter,
        'kafka',
        `downloading Apache Kafka ${version} jars from Maven Central (first run only, ~45 MB)`,
        'mvn',
        ['-q', '-B', '-f', path.join(kafkaDir(ctx), 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libs(ctx)}`],
        { logFile: ctx.provisionLog },
      ),
    )
  },

  async prepare(ctx) {
    const { config } = ctx
    const file = path.join(ctx.stateDir, 'server.properties')
    fs.mkdirSync(ctx.stateDir, { recursive: true })
    const template = fs.readFileSync(path.join(kafkaDir(ctx), 'server.properties.template'), 'utf8')
    fs.writeFileSync(file, renderTemplate(template, { HOST: config.host, KAFKA_PORT: config.kafka.port, KAFKA_CONTROLLER_PORT: config.kafka.controllerPort, KAFKA_DATA_DIR: dataDir(ctx) }))
    // Format once: the data folder keeps its cluster id across restarts (formatting again fails).
    if (!fs.existsSync(path.join(dataDir(ctx), 'meta.properties'))) {
      await runStep(ctx.reporter, 'kafka', 'formatting KRaft storage', 'java', [...jvm(ctx), 'kafka.tools.StorageTool', 'format', '--standalone', '--cluster-id', newClusterId(), '--config', file], {
        logFile: ctx.logFile,
      })
    }
    return { command: 'java', args: ['-Dk2.service=kafka', ...jvm(ctx), 'kafka.Kafka', file] }
  },

  marker: () => '-Dk2.service=kafka',

  async health(ctx) {
    // Ready means the broker is registered and unfenced: describeCluster lists only such brokers.
    // (The controller port opens seconds earlier, so a TCP check would pass too soon.)
    const admin = new Kafka({
      clientId: `${ctx.config.kafka.clientId}-health`,
      brokers: [...ctx.config.kafka.brokers],
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin()
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      if (cluster.brokers.length === 0) throw new Error('no broker is registered yet')
      // After a restart the broker is registered before it leads its partitions again: a client
      // that lists offsets then gets NOT_LEADER_FOR_PARTITION. Ready means every partition answers.
      const { topics } = await admin.fetchTopicMetadata()
      const leaderless = topics.flatMap((t) => t.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0).map((p) => `${t.name}-${p.partitionId}`))
      if (leaderless.length > 0) throw new Error(`${leaderless.length} partitions have no leader yet (${leaderless.slice(0, 3).join(', ')})`)
      // A sample, one at a time: all topics at once (a test-run broker holds hundreds) queued on
      // the client's metadata lock until it timed out, and a healthy broker read as "starting".
      const mine = new Set([ctx.config.topics.trades, ctx.config.topics.quotes])
      const sample = topics.map((t) => t.name).filter((n) => !n.startsWith('__')).sort((a, b) => Number(mine.has(b)) - Number(mine.has(a))).slice(0, 8)
      for (const name of sample) await admin.fetchTopicOffsets(name)
    } finally {
      await admin.disconnect()
    }
  },
}
