/**
 * Global setup of the integration project: one scratch folder for the run's working folders
 * (sinks' staging, query caches), removed when the run ends, so test runs do not pile folders
 * up in the system's temporary folder. Services keep their own TMPDIR: only paths the tests pass
 * in live here. Folders of runs that were killed are swept after a day.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's scratch folder (scratchDir in helpers.ts). */
    scratchRoot: string
  }
}

const prefix = 'k2-test-run-'
const dayMs = 86_400_000

export default function setup(project: TestProject): () => void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(prefix)) continue
    const dir = path.join(os.tmpdir(), name)
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs > dayMs) fs.rmSync(dir, { recursive: true, force: true })
    } catch {
      // Another run's folder going away meanwhile is fine.
    }
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  project.provide('scratchRoot', root)
  return () => fs.rmSync(root, { recursive: true, force: true })
}
