import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// The layers of DESIGN.md §1: only src/hono/ (and the Hono helpers of src/auth/, the apps the test
// kit's suites run in src/testing/) import Hono, only src/core/crypto.ts imports noble, only
// src/otel/ imports OpenTelemetry.
const noOtel = {
  group: ['@opentelemetry/*'],
  message: 'Only src/otel/ imports OpenTelemetry (an optional peer).',
}
const noHono = { group: ['hono', 'hono/*'], message: 'Only src/hono/ imports Hono.' }
const noNoble = {
  group: ['@noble/*'],
  message: 'Only src/core/crypto.ts imports the noble packages.',
}
const restrictImports = (files, ignores, patterns) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
})

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  restrictImports(
    ['src/**/*.ts'],
    ['src/core/crypto.ts', 'src/hono/**', 'src/auth/**', 'src/testing/**', 'src/otel/**'],
    [noHono, noNoble, noOtel]
  ),
  restrictImports(['src/auth/**/*.ts', 'src/testing/**/*.ts'], [], [noNoble, noOtel]),
  restrictImports(['src/core/crypto.ts'], [], [noHono, noOtel]),
  restrictImports(['src/hono/**/*.ts'], [], [noNoble, noOtel]),
  restrictImports(['src/otel/**/*.ts'], [], [noHono, noNoble])
)
