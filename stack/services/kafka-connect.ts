import * as fs from 'node:fs'
import * as path from 'node:path'
import { requestJson, requireSecret } from '../../lib/internal'
import { javaRequirement, mavenRequirement, once, runStep } from '../lib/provision'
import { renderTemplate, type ServiceContext, type ServiceDefinition } from '../lib/service'

/** The broker's Connect runtime, with Apache Iceberg's sink of the catalog's version (stack/kafka-connect/pom.xml). */
const version = '4.3.1'
const libs = (ctx: ServiceContext): string => path.join(ctx.cacheDir, version, 'libs')
const connectDir = (ctx: ServiceContext): string => path.join(ctx.config.paths.root, 'stack', 'kafka-connect')

/** The Connect worker group, and the prefix of its config, offset and status topics. */
export const connectGroupId = 'k2-connect'

/** Apicurio's own v2 API beside the Confluent one the workbench uses (`…/apis/ccompat/v7` → `…/apis/registry/v2`). */
export function registryV2Url(confluentUrl: string): string {
  return confluentUrl.replace(/\/apis\/ccompat\/v\d+\/?$/, '/apis/registry/v2')
}

/**
 * Apache Kafka Connect in distributed mode with Apache Iceberg's sink connector, all from Maven
 * Central: the distributed alternative to the workbench's own sink (docs/scale-out.md). Not
 * started by default: `npm run stack -- up kafka-connect`. Connectors are created over its REST
 * API (lib/connect); one worker here, more join by starting with the same group id.
 */
export const kafkaConnect: ServiceDefinition = {
  name: 'kafka-connect',
  group: 'optional',
  title: 'Kafka Connect + Iceberg sink',
  version,
  dependsOn: ['kafka', 'schema-registry', 'iceberg-rest'],
  requirements: [javaRequirement('Kafka Connect'), mavenRequirement('the Kafka Connect and Iceberg sink jars')],
  startTimeoutMs: 90_000,
  ports: (c) => [c.connect.port],
  address: (c) => c.connect.url,

  async provision(ctx) {
    await once(path.join(libs(ctx), '.k2-complete'), () =>
      runStep(
        ctx.reporter,
        'kafka-connect',
        `downloading Kafka Connect ${version}, the Iceberg sink and the Avro converter from Maven Central (first run only, ~85 MB)`,
        'mvn',
        ['-q', '-B', '-f', path.join(connectDir(ctx), 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libs(ctx)}`],
        { logFile: ctx.provisionLog },
      ),
    )
  },

  async prepare(ctx) {
    const { config } = ctx
    fs.mkdirSync(ctx.stateDir, { recursive: true })
    // The Iceberg sink finds the worker's properties by reading this process's command line: the
    // file must come right after the main class, in a path without spaces.
    const file = path.join(ctx.stateDir, 'worker.properties')
    const template = fs.readFileSync(path.join(connectDir(ctx), 'worker.properties.template'), 'utf8')
    fs.writeFileSync(file, renderTemplate(template, { HOST: config.host, CONNECT_PORT: config.connect.port, BROKERS: config.kafka.brokers.join(','), GROUP_ID: connectGroupId, REGISTRY_V2_URL: registryV2Url(config.schemaRegistry.url) }))
    return {
      command: 'java',
      args: [
        '-Dk2.service=kafka-connect',
        '-Xms64m',
        '-Xmx512m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${path.join(connectDir(ctx), 'log4j2.properties')}`,
        '-cp',
        `${libs(ctx)}/*`,
        'org.apache.kafka.connect.cli.ConnectDistributed',
        file,
      ],
      // S3 credentials in the environment: connector configs are readable over REST and kept in a topic.
      env: {
        ...process.env,
        AWS_REGION: config.s3.region,
        AWS_ACCESS_KEY_ID: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'),
        AWS_SECRET_ACCESS_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY'),
      },
    }
  },

  marker: () => '-Dk2.service=kafka-connect',

  // Jetty listens ~0.7 s before its resources are registered (404 meanwhile): healthy once
  // /connectors answers with a list.
  async health(ctx) {
    const list = await requestJson<unknown>(`${ctx.config.connect.url}/connectors`, { timeoutMs: 2000 })
    if (!Array.isArray(list)) throw new Error('Kafka Connect answered /connectors without a list')
    const info = await requestJson<{ version?: string }>(`${ctx.config.connect.url}/`, { timeoutMs: 2000 })
    return info.version
  },
}
