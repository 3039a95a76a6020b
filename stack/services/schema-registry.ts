import * as fs from 'node:fs'
import * as path from 'node:path'
import { requestJson } from '../../lib/internal'
import { javaRequirement, mavenRequirement, once, runStep } from '../lib/provision'
import type { ServiceContext, ServiceDefinition } from '../lib/service'

const version = '3.0.9'
const appDir = (ctx: ServiceContext): string => path.join(ctx.cacheDir, `apicurio-${version}`)
const registryRoot = (ctx: ServiceContext): string => `http://${ctx.config.host}:${ctx.config.schemaRegistry.port}`

/**
 * Apicurio Registry from Maven Central: a real server with the Confluent Schema Registry API at
 * /apis/ccompat/v7, storing schemas in an H2 file in the state folder (no Kafka needed). 3.0.9
 * is the newest release that runs on Java 17. See docs/decisions.md for what else was tried.
 */
export const schemaRegistry: ServiceDefinition = {
  name: 'schema-registry',
  group: 'infra',
  title: 'Apicurio Registry, Confluent API',
  version,
  dependsOn: [],
  requirements: [javaRequirement('Apicurio Registry'), mavenRequirement('Apicurio Registry')],
  startTimeoutMs: 120_000,
  ports: (c) => [c.schemaRegistry.port],
  address: (c) => c.schemaRegistry.url,

  async provision(ctx) {
    await once(path.join(appDir(ctx), '.k2-complete'), () =>
      runStep(
        ctx.reporter,
        'schema-registry',
        `downloading Apicurio Registry ${version} from Maven Central (first run only, ~110 MB)`,
        'mvn',
        ['-q', '-B', '-f', path.join(ctx.config.paths.root, 'stack', 'schema-registry', 'pom.xml'), 'dependency:unpack', `-Dsr.outputDirectory=${appDir(ctx)}`],
        { logFile: ctx.provisionLog },
      ),
    )
  },

  async prepare(ctx) {
    const jar = path.join(appDir(ctx), `apicurio-registry-app-${version}-runner.jar`)
    if (!fs.existsSync(jar)) throw new Error(`${jar} is missing: the download did not complete; remove ${appDir(ctx)} and run up again`)
    return {
      command: 'java',
      args: ['-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', `-Dquarkus.config.locations=${path.join(ctx.config.paths.root, 'stack', 'schema-registry', 'application.properties')}`,
        '-Dk2.service=schema-registry', '-jar', jar],
      // The properties file reads these (a -D or QUARKUS_HTTP_PORT does not override a value
      // set in a quarkus.config.locations file, measured with 3.0.9).
      env: { ...process.env, SCHEMA_REGISTRY_HOST: ctx.config.host, SCHEMA_REGISTRY_PORT: String(ctx.config.schemaRegistry.port), SCHEMA_REGISTRY_DATA_DIR: ctx.stateDir },
    }
  },

  marker: () => '-Dk2.service=schema-registry',

  async health(ctx) {
    await requestJson(`${registryRoot(ctx)}/health/ready`, { timeoutMs: 2000 })
    const info = await requestJson<{ version?: string }>(`${registryRoot(ctx)}/apis/registry/v3/system/info`, { timeoutMs: 2000 })
    return info.version
  },

  async afterStart(ctx) {
    // Apicurio enforces the global BACKWARD rule from its properties, but the Confluent API
    // reports NONE until the global config is set through it; set it so both agree.
    await requestJson(`${ctx.config.schemaRegistry.url}/config`, { method: 'PUT', body: { compatibility: 'BACKWARD' }, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' } })
  },
}
