import * as path from 'node:path'
import type { WorkbenchConfig } from '../../lib/internal'
import type { StartSpec } from './process'
import type { Reporter, Requirement } from './provision'

/** The infrastructure services of the local stack (`npm run stack`), in the order `up` considers them. */
export const infraServiceNames = ['minio', 'iceberg-rest', 'kafka', 'schema-registry', 'prometheus', 'jupyter'] as const
/** The workbench's own workers (`npm run pipelines`), run by the same manager. */
export const pipelineNames = ['replay-exchange', 'ingest', 'iceberg-sink', 'maintenance', 'api'] as const
/** Servers started only when asked for by name (`npm run stack -- up kafka-connect`). */
export const optionalServiceNames = ['kafka-connect', 'questdb'] as const
export const serviceNames = [...infraServiceNames, ...pipelineNames, ...optionalServiceNames] as const
export type ServiceName = (typeof serviceNames)[number]

/** What a service definition gets to work with. */
export interface ServiceContext {
  readonly config: WorkbenchConfig
  readonly reporter: Reporter
  /** This service's download/build cache folder. */
  readonly cacheDir: string
  /** This service's data folder (kept across down/up). */
  readonly stateDir: string
  /** The service's own log file (its stdout and stderr). */
  readonly logFile: string
  /** Log of provisioning steps (downloads, builds). */
  readonly provisionLog: string
}

/**
 * One real service of the local stack: how to get it onto the machine, how to start it, how to
 * tell it is healthy. Definitions hold no state; the manager owns processes and pid files.
 */
export interface ServiceDefinition {
  readonly name: ServiceName
  /** `infra`: the stack's servers; `pipeline`: the workbench's own workers; `optional`: servers started only by name. */
  readonly group: 'infra' | 'pipeline' | 'optional'
  /** What runs, for status lines: "Apache Kafka 4.1.1 (KRaft)". */
  readonly title: string
  readonly version: string
  /** Services that must be healthy before this one starts. */
  readonly dependsOn: readonly ServiceName[]
  /**
   * Stopped before the services that read from it rather than after (the default order is
   * dependants first): a feed that pushes to its clients stops first, so they receive all it
   * sent before they stop themselves.
   */
  readonly stopsBeforeReaders?: boolean
  /**
   * Stopped after the other services being stopped with it: a reader that drains what the writers
   * wrote (the sink commits the ingest's last records before it stops, so a restart finds no
   * stale backlog).
   */
  readonly stopsAfterWriters?: boolean
  readonly requirements: readonly Requirement[]
  /** Ports it listens on, for collision checks. */
  ports(config: WorkbenchConfig): readonly number[]
  /** Where a user reaches it. */
  address(config: WorkbenchConfig): string
  /** Idempotent: downloads or builds what is missing into `cacheDir`; quick when all is there. */
  provision(ctx: ServiceContext): Promise<void>
  /**
   * Provisioning is safe while the service runs (it installs beside the running process, e.g.
   * Python packages into JupyterLab's venv): `up` then provisions it even when it is running, so
   * changed requirements are installed without a restart.
   */
  readonly provisionWhileRunning?: boolean
  /** Writes config files into `stateDir` (and formats storage once), returns the command. */
  prepare(ctx: ServiceContext): Promise<StartSpec>
  /** A string in the process command line that identifies it as this stack's service. */
  marker(ctx: ServiceContext): string
  /**
   * Resolves when the service answers as it should (with the version it reports, when it
   * reports one); throws while it does not.
   */
  health(ctx: ServiceContext): Promise<string | void>
  /** Runs once the service is healthy on every `up` (e.g. create the bucket); idempotent. */
  afterStart?(ctx: ServiceContext): Promise<void>
  /** How long a start may take before `up` gives up, in ms. */
  readonly startTimeoutMs: number
}

/**
 * A service as one running instance: its name and first port (`ingest-9464`). Pid and log files
 * go by it, so a second set of workers on other ports (a test beside the user's demo, npm run
 * commands given other ports) never reads, stops or writes over the first set's.
 */
export function instanceName(config: WorkbenchConfig, d: Pick<ServiceDefinition, 'name' | 'ports'>): string {
  const port = d.ports(config)[0]
  return port === undefined ? d.name : `${d.name}-${port}`
}

export function serviceContext(config: WorkbenchConfig, reporter: Reporter, d: ServiceDefinition): ServiceContext {
  const name = d.name
  const stateDir = path.join(config.paths.state, name)
  return {
    config,
    reporter,
    cacheDir: path.join(config.paths.cache, name),
    stateDir,
    logFile: path.join(config.paths.state, 'logs', `${instanceName(config, d)}.log`),
    provisionLog: path.join(config.paths.cache, 'logs', `provision-${name}.log`),
  }
}

/** Replaces `${NAME}` placeholders; an unknown placeholder is an error, not an empty string. */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (_, key: string) => {
    const v = values[key]
    if (v === undefined) throw new Error(`template placeholder \${${key}} has no value`)
    return String(v)
  })
}
