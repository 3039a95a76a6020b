import * as fs from 'node:fs'
import * as path from 'node:path'
import { parseConfig, projectRoot, type WorkbenchConfig } from './config'

type Env = Readonly<Record<string, string | undefined>>

/** Name of the file `stack up` writes the generated local credentials to, in the state folder. */
export const credentialsFileName = 'credentials.env'

/** Parses `KEY=value` lines (blank lines and `#` comments skipped, optional quotes removed). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!m || line.trimStart().startsWith('#')) continue
    out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2')
  }
  return out
}

/**
 * The configuration as an entry point (CLI, pipeline, notebook) sees it: `env` (usually
 * `process.env`) over the credentials the local stack generated. Values in `env` always win.
 */
export function loadConfig(env: Env, root: string = projectRoot): WorkbenchConfig {
  const stateDir = path.resolve(root, env.K2_STATE_DIR?.trim() || path.join(root, '.state'))
  const file = path.join(stateDir, credentialsFileName)
  const generated = fs.existsSync(file) ? parseEnvFile(fs.readFileSync(file, 'utf8')) : {}
  const merged: Record<string, string | undefined> = { ...generated }
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v
  return parseConfig(merged, root)
}
