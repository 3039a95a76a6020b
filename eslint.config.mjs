// Lint: the recommended JS and TypeScript rules, plus the project's own (docs/architecture.md):
// - lib/ never reads process.env nor calls console (config and logger are injected);
// - lib/'s layers point down only (the table below), with no import cycles, and no function in
//   lib/ over 150 lines;
// - outside lib/, code imports its entry points: lib/index (the public surface) or, for tests
//   and tools, lib/internal (every module), never a file of lib/ itself;
// - no floating promises anywhere (type-aware: a promise nobody awaits loses its error);
// - the notebooks' cells are linted too (npm run check:notebooks extracts them), an `any` failing.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'
import globals from 'globals'

/** lib/'s areas from the bottom up: an area imports its own layer and lower ones, never a higher one. */
const layers = [
  ['errors'],
  ['logger', 'http', 'market', 'metrics', 'viz'],
  ['avro', 'feed', 'kafka'],
  ['iceberg'],
  ['degrade'],
  ['ingest', 'sink', 'rollup'],
  ['query', 'maintenance', 'cost', 'connect'],
  ['config'],
  ['wiring', 'api', 'scenarios', 'story'],
]
const zones = layers.slice(0, -1).flatMap((layer, i) =>
  layer.map((area) => ({
    target: `./lib/${area}`,
    from: layers.slice(i + 1).flat().map((above) => `./lib/${above}`),
    message: `lib/${area} is in layer ${i}; ${layers.slice(i + 1).flat().join(', ')} are above it: layers point down only (docs/architecture.md)`,
  })),
)

export default tseslint.config(
  { ignores: ['node_modules/**', '.cache/**', '.state/**', 'dist/**', 'notebooks/**/*.ipynb'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*.mts'] }, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['lib/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.cjs', '.json'] })] },
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'lib/ takes its settings from the typed config (lib/config), not process.env.' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['pipelines/**/*.ts', 'bench/**/*.ts', 'stack/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)lib/(?!index$|internal$)[^/]+/', message: 'Outside lib/, import its entry points (lib/index; tests and tools lib/internal), not its files.' }] }],
    },
  },
  {
    files: ['**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The notebooks' cells, extracted by `npm run check:notebooks`: a cell often leaves its result
    // for the reader (a table, a verdict), not for a later cell. An `any` still fails. They are not
    // in the TypeScript project (tsc checks them apart), so no type-aware rule runs on them.
    files: ['dist/notebook-check/**/*.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-unused-vars': 'off', '@typescript-eslint/no-explicit-any': 'error' },
  },
)
