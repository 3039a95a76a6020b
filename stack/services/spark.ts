import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, type WorkbenchConfig } from '../../lib/internal'
import { formatSeconds, type Reporter } from '../lib/provision'

/**
 * Apache Spark reading the lake through the REST catalog (the scale-out path, docs/scale-out.md).
 * pyspark comes from PyPI into the Jupyter venv (stack/jupyter/requirements.txt, pinned to the
 * same Spark minor as below); the Iceberg jars Spark needs come from Maven Central into the cache,
 * checked against Maven Central's sha1 and sha256. 1.11.0 is the Iceberg the REST catalog runs
 * (stack/services/iceberg-rest.ts) and the newest with a runtime for Spark 4.1.
 */
export const sparkVersions = { spark: '4.1', scala: '2.13', iceberg: '1.11.0' } as const

const mavenCentral = 'https://repo1.maven.org/maven2'

export interface MavenJar {
  readonly group: string
  readonly artifact: string
  readonly version: string
  /** For progress lines. */
  readonly approxMb: number
}

/** The jars on Spark's class path: the Iceberg runtime for this Spark and Scala, and S3FileIO with the AWS SDK. */
export const sparkJarArtifacts: readonly MavenJar[] = [
  { group: 'org.apache.iceberg', artifact: `iceberg-spark-runtime-${sparkVersions.spark}_${sparkVersions.scala}`, version: sparkVersions.iceberg, approxMb: 48 },
  { group: 'org.apache.iceberg', artifact: 'iceberg-aws-bundle', version: sparkVersions.iceberg, approxMb: 64 },
]

export const jarFileName = (j: MavenJar): string => `${j.artifact}-${j.version}.jar`
export const jarUrl = (j: MavenJar): string => `${mavenCentral}/${j.group.replaceAll('.', '/')}/${j.artifact}/${j.version}/${jarFileName(j)}`

/** Where the jars are kept (git-ignored cache). */
export function sparkJarsDir(config: WorkbenchConfig): string {
  return path.join(config.paths.cache, 'spark', 'jars')
}

/** The exact jar files Spark gets (`spark.jars`), whether or not they are there yet. */
export function sparkJars(config: WorkbenchConfig): string[] {
  return sparkJarArtifacts.map((j) => path.join(sparkJarsDir(config), jarFileName(j)))
}

/** The `pyspark==X.Y.Z` pin of a requirements file (undefined when it has none). */
export function pysparkPin(requirements: string): string | undefined {
  return /^pyspark==(\S+)/m.exec(requirements)?.[1]
}

/** Throws when the pinned pyspark is not the Spark the Iceberg runtime jar is built for. */
export function checkPysparkPin(requirements: string): void {
  const pin = pysparkPin(requirements)
  if (pin !== undefined && !pin.startsWith(`${sparkVersions.spark}.`)) {
    throw new WorkbenchError(
      ErrorCode.ProvisionFailed,
      `stack/jupyter/requirements.txt pins pyspark==${pin}, but the Iceberg runtime jar is for Spark ${sparkVersions.spark} (stack/services/spark.ts): change both together`,
    )
  }
}

async function fetchText(url: string): Promise<string | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  if (res.status === 404) return undefined
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return (await res.text()).trim()
}

/** The hex digest in a Maven `.sha1`/`.sha256` file (which may add the file name after it). */
export function parseChecksum(text: string): string {
  return (text.split(/\s+/)[0] ?? '').toLowerCase()
}

/**
 * Downloads one jar to `target` unless it is there: streamed to a `.part` file while both digests
 * are computed, compared with Maven Central's sha1 (required) and sha256 (when published), and
 * renamed into place only when they match, so a file at `target` has always been verified.
 */
async function downloadJar(j: MavenJar, target: string, reporter: Reporter, logFile: string): Promise<void> {
  if (fs.existsSync(target)) return
  const url = jarUrl(j)
  const title = `downloading ${jarFileName(j)} from Maven Central (first run only, ~${j.approxMb} MB)`
  const log = (line: string): void => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.mkdirSync(path.dirname(logFile), { recursive: true })
  reporter.line('jupyter', `${title} …`)
  log(`GET ${url}`)
  const started = Date.now()
  let lastError: unknown
  for (let attempt = 1; attempt <= 3; attempt++) {
    const part = `${target}.part`
    let received = 0
    const heartbeat = setInterval(() => reporter.line('jupyter', `${title}: ${(received / 1e6).toFixed(0)} MB so far (${Math.round((Date.now() - started) / 1000)} s)`), 15_000)
    try {
      const [sha1, sha256] = await Promise.all([fetchText(`${url}.sha1`), fetchText(`${url}.sha256`)])
      if (!sha1) throw new Error(`${url}.sha1 is missing: cannot verify the download`)
      // Abort when no byte arrives for 60 s (a stalled connection), not after a fixed total time.
      const abort = new AbortController()
      let idle = setTimeout(() => abort.abort(), 60_000)
      const res = await fetch(url, { signal: abort.signal })
      if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`)
      const h1 = createHash('sha1')
      const h256 = createHash('sha256')
      const out = fs.openSync(part, 'w')
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          clearTimeout(idle)
          idle = setTimeout(() => abort.abort(), 60_000)
          h1.update(chunk)
          h256.update(chunk)
          fs.writeSync(out, chunk)
          received += chunk.length
        }
      } finally {
        clearTimeout(idle)
        fs.closeSync(out)
      }
      const got1 = h1.digest('hex')
      const got256 = h256.digest('hex')
      if (got1 !== parseChecksum(sha1)) throw new Error(`sha1 mismatch for ${url}: got ${got1}, Maven Central says ${parseChecksum(sha1)}`)
      if (sha256 && got256 !== parseChecksum(sha256)) throw new Error(`sha256 mismatch for ${url}: got ${got256}, Maven Central says ${parseChecksum(sha256)}`)
      fs.renameSync(part, target)
      log(`ok ${target} ${received} bytes sha1=${got1} sha256=${got256}${sha256 ? '' : ' (no .sha256 published)'}`)
      reporter.line('jupyter', `${title}: done in ${formatSeconds(Date.now() - started)} (${(received / 1e6).toFixed(1)} MB, sha1${sha256 ? ' and sha256' : ''} verified)`)
      return
    } catch (err) {
      lastError = err
      log(`attempt ${attempt} failed: ${(err as Error).message}`)
      fs.rmSync(part, { force: true })
      if (attempt < 3) reporter.line('jupyter', `${title}: attempt ${attempt} failed (${(err as Error).message}); retrying`)
    } finally {
      clearInterval(heartbeat)
    }
  }
  throw new WorkbenchError(ErrorCode.ProvisionFailed, `jupyter: ${title} failed: ${(lastError as Error).message} (log: ${logFile})`, false, { cause: lastError })
}

/** Idempotent: downloads (and verifies) the Spark jars that are missing; quick when all are there. */
export async function provisionSparkJars(config: WorkbenchConfig, reporter: Reporter, logFile: string): Promise<string[]> {
  const targets = sparkJars(config)
  for (const [i, j] of sparkJarArtifacts.entries()) await downloadJar(j, targets[i]!, reporter, logFile)
  return targets
}
