import * as fs from 'node:fs'
import * as path from 'node:path'

/**
 * This process's scratch folder, `<root>/<pid>`, created; first removes the `<root>/<pid>` folders
 * of processes that are gone (a killed worker's files were never committed and never will be).
 */
export function processWorkDir(root: string): string {
  let names: string[] = []
  try {
    names = fs.readdirSync(root)
  } catch {
    // no root yet
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      process.kill(Number(name), 0)
    } catch (err) {
      // EPERM: alive, someone else's. ESRCH: gone.
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(root, name), { recursive: true, force: true })
    }
  }
  const dir = path.join(root, String(process.pid))
  fs.mkdirSync(dir, { recursive: true })
  return dir
}
