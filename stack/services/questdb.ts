import * as fs from 'node:fs'
import * as path from 'node:path'
import { requestJson } from '../../lib/internal'
import { javaRequirement, mavenRequirement, once, runStep } from '../lib/provision'
import type { ServiceDefinition } from '../lib/service'

/** QuestDB's server jar from Maven Central (`org.questdb:questdb`): one jar with its native libraries. */
const version = '9.2.0'
const jar = (cacheDir: string): string => path.join(cacheDir, version, `questdb-${version}.jar`)

/**
 * QuestDB, a time-series database analysts compare a tick store with (SAMPLE BY, ASOF JOIN,
 * LATEST ON): a peer of the workbench in `npm run bench:peers`, fed over its own line protocol.
 * Not started by default: `npm run stack -- up questdb`. It listens on loopback only, HTTP (REST
 * `/exec` and its web console) and ILP over TCP; its PostgreSQL wire port, whose default
 * credentials are public, and the UDP, minimal-HTTP and telemetry endpoints are turned off.
 */
export const questdb: ServiceDefinition = {
  name: 'questdb',
  group: 'optional',
  title: 'QuestDB',
  version,
  dependsOn: [],
  requirements: [javaRequirement('QuestDB'), mavenRequirement('the QuestDB jar')],
  startTimeoutMs: 60_000,
  ports: (c) => [c.questdb.httpPort, c.questdb.ilpPort],
  address: (c) => c.questdb.url,

  async provision(ctx) {
    await once(path.join(ctx.cacheDir, version, '.k2-complete'), () =>
      runStep(
        ctx.reporter,
        'questdb',
        `downloading QuestDB ${version} from Maven Central (first run only, ~15 MB)`,
        'mvn',
        ['-q', '-B', 'dependency:copy', `-Dartifact=org.questdb:questdb:${version}`, `-DoutputDirectory=${path.join(ctx.cacheDir, version)}`],
        { logFile: ctx.provisionLog },
      ),
    )
    if (!fs.existsSync(jar(ctx.cacheDir))) throw new Error(`QuestDB's jar is not at ${jar(ctx.cacheDir)} after provisioning; see ${ctx.provisionLog}`)
  },

  async prepare(ctx) {
    const { config } = ctx
    const root = path.join(ctx.stateDir, 'root')
    fs.mkdirSync(root, { recursive: true })
    return {
      command: 'java',
      args: ['-Dk2.service=questdb', '-Xms64m', '-Xmx1g', '-XX:+ExitOnOutOfMemoryError', '-p', jar(ctx.cacheDir), '-m', 'io.questdb/io.questdb.ServerMain', '-d', root],
      env: {
        ...process.env,
        QDB_HTTP_BIND_TO: `${config.host}:${config.questdb.httpPort}`,
        QDB_LINE_TCP_NET_BIND_TO: `${config.host}:${config.questdb.ilpPort}`,
        QDB_PG_ENABLED: 'false',
        QDB_LINE_UDP_ENABLED: 'false',
        QDB_HTTP_MIN_ENABLED: 'false',
        QDB_TELEMETRY_ENABLED: 'false',
      },
    }
  },

  marker: () => '-Dk2.service=questdb',

  async health(ctx) {
    const answer = await requestJson<{ dataset?: unknown[][] }>(`${ctx.config.questdb.url}/exec?query=${encodeURIComponent('select build()')}`, { timeoutMs: 2000 })
    const build = String(answer.dataset?.[0]?.[0] ?? '')
    if (!build) throw new Error('QuestDB answered /exec without its build')
    return /QuestDB ([\d.]+)/.exec(build)?.[1] ?? build
  },
}
