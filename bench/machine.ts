import { execSync } from 'node:child_process'
import * as os from 'node:os'

/** The machine a benchmark ran on, for its report: figures mean little without it. */
export function describeMachine(): Record<string, string | number> {
  const cpu = os.cpus()[0]?.model ?? 'unknown'
  const java = (() => {
    try {
      return execSync('java -version 2>&1', { encoding: 'utf8' }).split('\n')[0]!.trim()
    } catch {
      return 'unknown'
    }
  })()
  return { cpu, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, node: process.version, java }
}
