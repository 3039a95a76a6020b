import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../lib/internal'

/**
 * Notebooks import lib through tslab, which type-checks it with its own TypeScript 5.0 and
 * settings of its own: not strict (so no narrowing on `ok: true | false` unions without
 * strictNullChecks), Node10 resolution, declarations emitted, .cjs files checked. tsc with our
 * strict tsconfig does not catch what breaks there; this compiles lib exactly as tslab does.
 */
describe('lib and the notebook helpers compile under tslab', () => {
  it('has no diagnostics with tslab 1.0.22 compiler and options', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('@tslab/typescript-for-tslab') as typeof import('typescript')
    const options: import('typescript').CompilerOptions = {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      declaration: true,
      experimentalDecorators: true,
      resolveJsonModule: true,
      allowJs: true,
      checkJs: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [path.join(projectRoot, 'node_modules', '@types')],
    }
    const program = ts.createProgram([path.join(projectRoot, 'lib', 'index.ts'), path.join(projectRoot, 'stack', 'notebook.ts')], options)
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${path.relative(projectRoot, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : ''
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
    })
    expect(diagnostics.filter((d) => !d.includes('node_modules'))).toEqual([])
  }, 60_000)
})
