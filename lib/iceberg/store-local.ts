import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { ObjectStore, StoredObject } from './file-io'

/**
 * An ObjectStore over a local folder (the local warehouse, and other engines' tables under
 * test fixtures). Writes go to a temporary name first and are renamed, so a reader never sees a
 * half-written file, as with S3's atomic PUT.
 */
export function createLocalStore(root: string): ObjectStore {
  const full = (key: string): string => {
    const p = path.resolve(root, key)
    if (p !== path.resolve(root) && !p.startsWith(path.resolve(root) + path.sep)) throw new WorkbenchError(ErrorCode.RecordInvalid, `key ${key} leaves the store's folder ${root}`)
    return p
  }
  return {
    async put(key, body) {
      const p = full(key)
      await fs.promises.mkdir(path.dirname(p), { recursive: true })
      const tmp = `${p}.${process.pid}.${Date.now()}.tmp`
      await fs.promises.writeFile(tmp, body)
      await fs.promises.rename(tmp, p)
    },
    async get(key) {
      try {
        return new Uint8Array(await fs.promises.readFile(full(key)))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new WorkbenchError(ErrorCode.NotFound, `${full(key)} does not exist`, false, { cause: err })
        throw err
      }
    },
    async list(prefix) {
      return (await this.listDetailed(prefix)).map((o) => o.key)
    },
    async listDetailed(prefix) {
      const base = full('.')
      const out: StoredObject[] = []
      const walk = async (dir: string): Promise<void> => {
        let entries: fs.Dirent[]
        try {
          entries = await fs.promises.readdir(dir, { withFileTypes: true })
        } catch {
          return
        }
        for (const e of entries) {
          const p = path.join(dir, e.name)
          if (e.isDirectory()) await walk(p)
          else {
            const key = path.relative(base, p).split(path.sep).join('/')
            if (key.startsWith(prefix)) {
              const st = await fs.promises.stat(p)
              out.push({ key, size: st.size, lastModifiedMs: st.mtimeMs })
            }
          }
        }
      }
      await walk(base)
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    },
    async delete(key) {
      await fs.promises.rm(full(key), { force: true })
    },
    close() {},
  }
}
