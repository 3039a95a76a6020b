import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { requestJson, requireSecret } from '../../lib/internal'
import { javaRequirement, mavenRequirement, once, runStep } from '../lib/provision'
import type { ServiceContext, ServiceDefinition } from '../lib/service'

/** 1.11.0 is the newest iceberg-open-api (which carries the server) on Maven Central. */
const version = '1.11.0'
const libs = (ctx: ServiceContext): string => path.join(ctx.cacheDir, version, 'libs')
/** Our launcher (LoopbackCatalogServer.java), compiled once per version of its source. */
const launcherSource = (ctx: ServiceContext): string => path.join(ctx.config.paths.root, 'stack', 'iceberg-rest', 'LoopbackCatalogServer.java')
const launcher = (ctx: ServiceContext): string =>
  path.join(ctx.cacheDir, version, `launcher-${createHash('sha256').update(fs.readFileSync(launcherSource(ctx))).digest('hex').slice(0, 12)}`)

/**
 * Apache Iceberg's own REST catalog server (`RESTCatalogServer`, the server of the
 * apache/iceberg-rest-fixture image) from Maven Central jars: a JDBC catalog on a SQLite file in
 * the state folder (tables survive restarts) writing metadata to MinIO through S3FileIO.
 */
export const icebergRest: ServiceDefinition = {
  name: 'iceberg-rest',
  group: 'infra',
  title: 'Apache Iceberg REST catalog',
  version,
  dependsOn: ['minio'],
  requirements: [
    javaRequirement('the Iceberg REST catalog'),
    mavenRequirement('the Iceberg jars'),
    { command: 'javac', purpose: 'compiles the launcher that binds the catalog to loopback', install: 'apt-get install openjdk-17-jdk-headless' },
  ],
  startTimeoutMs: 60_000,
  ports: (c) => [c.catalog.port],
  address: (c) => c.catalog.url,

  async provision(ctx) {
    await once(path.join(libs(ctx), '.k2-complete'), () =>
      runStep(
        ctx.reporter,
        'iceberg-rest',
        `downloading Apache Iceberg ${version} REST catalog jars from Maven Central (first run only, ~50 MB)`,
        'mvn',
        ['-q', '-B', '-f', path.join(ctx.config.paths.root, 'stack', 'iceberg-rest', 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${libs(ctx)}`],
        { logFile: ctx.provisionLog },
      ),
    )
    const out = launcher(ctx)
    await once(path.join(out, '.k2-complete'), () =>
      runStep(ctx.reporter, 'iceberg-rest', 'compiling the loopback launcher of the REST catalog', 'javac', ['-nowarn', '-cp', `${libs(ctx)}/*`, '-d', out, launcherSource(ctx)], { logFile: ctx.provisionLog }),
    )
  },

  async prepare(ctx) {
    const { config } = ctx
    fs.mkdirSync(ctx.stateDir, { recursive: true })
    return {
      command: 'java',
      args: [
        '-Dk2.service=iceberg-rest',
        '-Xms64m',
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        // Every 4xx answer would otherwise log ~65 lines of stack trace.
        '-Dorg.slf4j.simpleLogger.log.org.apache.iceberg.rest.RESTCatalogServlet=off',
        '-cp',
        `${launcher(ctx)}${path.delimiter}${libs(ctx)}/*`,
        // RESTCatalogServer itself listens on every interface, with no authentication.
        'org.apache.iceberg.rest.LoopbackCatalogServer',
      ],
      // The server reads CATALOG_* (CATALOG_A_B__C is catalog property a.b-c); the port is
      // CATALOG_REST_PORT. S3 credentials go in AWS_* because catalog properties are logged.
      env: {
        ...process.env,
        CATALOG_REST_PORT: String(config.catalog.port),
        CATALOG_BIND_HOST: config.host,
        CATALOG_URI: `jdbc:sqlite:${path.join(ctx.stateDir, 'catalog.db')}`,
        CATALOG_WAREHOUSE: config.catalog.warehouse,
        CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
        CATALOG_S3_ENDPOINT: config.s3.endpoint,
        CATALOG_S3_PATH__STYLE__ACCESS: 'true',
        AWS_REGION: config.s3.region,
        AWS_ACCESS_KEY_ID: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'),
        AWS_SECRET_ACCESS_KEY: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY'),
      },
    }
  },

  marker: () => '-Dk2.service=iceberg-rest',

  async health(ctx) {
    const res = await requestJson<{ endpoints?: unknown }>(`${ctx.config.catalog.url}/v1/config`, { timeoutMs: 2000 })
    if (!res?.endpoints) throw new Error('the catalog answered /v1/config without its endpoint list')
  },
}
