import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError } from '../../lib/internal'
import { tailFile } from './process'

/** Where the stack commands tell the user what they are doing (a terminal, CI's log). */
export interface Reporter {
  /** A line about one service: `[kafka] downloading jars…`. */
  line(service: string, message: string): void
}

/** A tool the project needs on the machine to provision or run a service. */
export interface Requirement {
  readonly command: string
  /** What the tool is for, in the words of the error. */
  readonly purpose: string
  /** How to get it on this kind of machine. */
  readonly install: string
  /** Arguments that print a version, and the lowest major version that works. */
  readonly versionArgs?: readonly string[]
  readonly minMajor?: number
}

/** Java 17+, for a service that `runs` on the JVM. */
export function javaRequirement(runs: string): Requirement {
  return { command: 'java', purpose: `${runs} runs on the JVM`, install: 'apt-get install openjdk-17-jre-headless', versionArgs: ['-version'], minMajor: 17 }
}

/** Maven, for a service whose jars come from Maven Central. */
export function mavenRequirement(what: string): Requirement {
  return { command: 'mvn', purpose: `downloads ${what} from Maven Central`, install: 'apt-get install maven' }
}

/** Finds `command` on PATH (or as an absolute path). */
export function which(command: string): string | undefined {
  if (path.isAbsolute(command)) return fs.existsSync(command) ? command : undefined
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** Throws REQUIREMENT_MISSING naming the tool, what needs it and what to run, if it is absent or too old. */
export function checkRequirement(service: string, r: Requirement): void {
  const found = which(r.command)
  if (!found) {
    throw new WorkbenchError(ErrorCode.RequirementMissing, `${service} needs ${r.command} (${r.purpose}), which is not on PATH. Fix: ${r.install}`)
  }
  if (r.versionArgs && r.minMajor !== undefined) {
    const out = spawnSync(found, [...r.versionArgs], { encoding: 'utf8' })
    const text = `${out.stdout ?? ''}${out.stderr ?? ''}`
    const major = majorVersion(text)
    if (!(major >= r.minMajor)) {
      throw new WorkbenchError(
        ErrorCode.RequirementMissing,
        `${service} needs ${r.command} ${r.minMajor} or newer (${r.purpose}); found: ${text.split('\n')[0]?.trim() || 'no version'}. Fix: ${r.install}`,
      )
    }
  }
}

/** Major version in a tool's version text; the old `1.x` style (java 1.8) counts as x. */
export function majorVersion(text: string): number {
  const m = /(\d+)(?:\.(\d+))?/.exec(text)
  if (!m) return NaN
  return m[1] === '1' && m[2] !== undefined ? Number(m[2]) : Number(m[1])
}

export interface StepOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** Full output goes here; the last lines are quoted in the error when the step fails. */
  readonly logFile: string
  /** Seconds between "still running" lines. */
  readonly heartbeatSeconds?: number
}

/**
 * Runs one provisioning command (a download, a build), reporting progress while it runs and
 * failing with PROVISION_FAILED that quotes the end of its output.
 */
export async function runStep(
  reporter: Reporter,
  service: string,
  title: string,
  command: string,
  args: readonly string[],
  options: StepOptions,
): Promise<void> {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true })
  const out = fs.openSync(options.logFile, 'a')
  fs.writeSync(out, `\n===== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`)
  const started = Date.now()
  reporter.line(service, `${title} …`)
  const every = (options.heartbeatSeconds ?? 15) * 1000
  const timer = setInterval(() => reporter.line(service, `${title}: still working (${Math.round((Date.now() - started) / 1000)} s)`), every)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', out, out] })
      child.once('error', reject)
      child.once('exit', (c) => resolve(c))
    })
    if (code !== 0) {
      throw new WorkbenchError(
        ErrorCode.ProvisionFailed,
        `${service}: ${title} failed (exit ${code}). Last lines of ${options.logFile}:\n${indent(tailFile(options.logFile, 15))}`,
      )
    }
  } catch (err) {
    if (err instanceof WorkbenchError) throw err
    throw new WorkbenchError(ErrorCode.ProvisionFailed, `${service}: ${title} could not run ${command}: ${(err as Error).message}`, false, { cause: err })
  } finally {
    clearInterval(timer)
    fs.closeSync(out)
  }
  reporter.line(service, `${title}: done in ${formatSeconds(Date.now() - started)}`)
}

/**
 * Runs `build` once per `marker` file: the marker is written only after `build` succeeds, so an
 * interrupted download is redone on the next run instead of leaving a half-filled cache.
 */
export async function once(marker: string, build: () => Promise<void>): Promise<boolean> {
  if (fs.existsSync(marker)) return false
  await build()
  fs.mkdirSync(path.dirname(marker), { recursive: true })
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`)
  return true
}

export function indent(text: string, pad = '    '): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}
