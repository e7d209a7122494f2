import js from '@eslint/js'
import tseslint from 'typescript-eslint'

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
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cookie/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@noble/*'], message: 'Only src/cookie/ imports @noble/hashes.' }] },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/hono/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['hono', 'hono/*'], message: 'Only src/hono/ imports Hono.' },
            { group: ['@noble/*'], message: 'Only src/cookie/ imports @noble/hashes.' },
          ],
        },
      ],
    },
  }
)
