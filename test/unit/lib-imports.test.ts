import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../lib'

/**
 * tslab (the notebook kernel) loads lib's .ts files itself and resolves a relative import only
 * by adding ".js" to it: `./config` fails in a notebook where `./config/index` works. So inside
 * lib every relative import names a file.
 */
describe('lib imports load under tslab', () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))

  it('every relative import in lib/ names a file (.ts, or .cjs/.json with its extension), not a folder', () => {
    const bad: string[] = []
    for (const file of files(path.join(projectRoot, 'lib'))) {
      const source = fs.readFileSync(file, 'utf8')
      for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}(?:\/[^'"]*)?)['"]/g)) {
        const target = path.resolve(path.dirname(file), m[1]!)
        const namesFile = fs.existsSync(`${target}.ts`) || (/\.(cjs|json)$/.test(target) && fs.statSync(target, { throwIfNoEntry: false })?.isFile())
        if (!namesFile) bad.push(`${path.relative(projectRoot, file)}: '${m[1]}'`)
      }
    }
    expect(bad).toEqual([])
  })
})
