import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, type WorkbenchConfig } from '../../lib/internal'
import { checkRequirement, once, runStep, type Reporter } from './provision'

/**
 * The Python peers of the query benchmarks, chDB (ClickHouse in-process) and ArcticDB (tick data
 * on S3, here our MinIO), in a venv of their own under the cache: ~1 GB with pandas and pyarrow,
 * which the JupyterLab venv need not carry. Provisioned on demand by what uses them (bench:peers
 * and its test), never by `stack up`.
 */
export function peersVenv(config: WorkbenchConfig): string {
  return path.join(config.paths.cache, 'peers', 'venv')
}

const requirementsFile = (config: WorkbenchConfig): string => path.join(config.paths.root, 'stack', 'peers', 'requirements.txt')

/** Creates the venv and installs the pinned peers, once per version of the requirements; returns its python. */
export async function ensurePeersPython(config: WorkbenchConfig, reporter: Reporter): Promise<string> {
  checkRequirement('the Python peers', { command: 'python3', purpose: 'chDB and ArcticDB run in a Python virtual environment', install: 'apt-get install python3 python3-venv', versionArgs: ['--version'], minMajor: 3 })
  const venv = peersVenv(config)
  const reqs = fs.readFileSync(requirementsFile(config), 'utf8')
  const stamp = createHash('sha256').update(reqs).digest('base64url').slice(0, 16)
  const logFile = path.join(config.paths.cache, 'logs', 'peers-provision.log')
  await once(path.join(venv, `.k2-complete-${stamp}`), async () => {
    if (!fs.existsSync(path.join(venv, 'bin', 'python'))) await runStep(reporter, 'peers', 'creating the peers’ Python virtual environment', 'python3', ['-m', 'venv', venv], { logFile })
    await runStep(reporter, 'peers', 'installing chDB and ArcticDB (~1 GB with pandas and pyarrow) from PyPI (first run only, ~1 min)', path.join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '-r', requirementsFile(config)], { logFile })
  })
  return path.join(venv, 'bin', 'python')
}

/** Runs a Python script of the peers with JSON in on stdin and JSON out on stdout; stderr goes into the error. */
export async function runPeerScript<T>(python: string, script: string, input: unknown, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const child = spawn(python, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout.on('data', (b: Buffer) => out.push(b))
  child.stderr.on('data', (b: Buffer) => err.push(b))
  child.stdin.end(JSON.stringify(input))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  const text = Buffer.concat(out).toString('utf8')
  if (code !== 0) throw new WorkbenchError(ErrorCode.CommandFailed, `${path.basename(script)} exited with ${code}: ${Buffer.concat(err).toString('utf8').trim().split('\n').slice(-8).join(' | ')}`)
  try {
    return JSON.parse(text) as T
  } catch {
    throw new WorkbenchError(ErrorCode.CommandFailed, `${path.basename(script)} printed no JSON: ${text.slice(0, 300)}`)
  }
}
