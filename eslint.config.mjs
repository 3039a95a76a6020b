// Lint: the recommended JS and TypeScript rules, plus the project's own: lib/ never reads
// process.env nor calls console (config and logger are injected); notebook cells are linted too.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

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
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The notebooks' cells, extracted by `npm run check:notebooks`: a cell often leaves its result
    // for the reader (a table, a verdict), not for a later cell. An `any` still fails.
    files: ['dist/notebook-check/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off', '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'lib/ takes its settings from the typed config (lib/config), not process.env.' }],
    },
  },
)
