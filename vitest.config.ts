import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Examples, schemas and tests import the package by name, as users do; here that is the source.
    alias: [
      { find: /^typed-sessions$/, replacement: src('index.ts') },
      { find: /^typed-sessions\/hono$/, replacement: src('hono/index.ts') },
      { find: /^typed-sessions\/auth$/, replacement: src('auth/index.ts') },
      { find: /^typed-sessions\/fetch$/, replacement: src('web/fetch.ts') },
      { find: /^typed-sessions\/otel$/, replacement: src('otel/index.ts') },
      { find: /^typed-sessions\/testing$/, replacement: src('testing/index.ts') },
      { find: /^typed-sessions\/sqlite$/, replacement: src('stores/sqlite-store.ts') },
      { find: /^typed-sessions\/redis$/, replacement: src('stores/redis-store.ts') },
      { find: /^typed-sessions\/postgres$/, replacement: src('stores/postgres-store.ts') },
      { find: /^typed-sessions\/mysql$/, replacement: src('stores/mysql-store.ts') },
      { find: /^typed-sessions\/dynamodb$/, replacement: src('stores/dynamodb-store.ts') },
      { find: /^typed-sessions\/surrealdb$/, replacement: src('stores/surrealdb-store.ts') },
      { find: /^typed-sessions\/mongodb$/, replacement: src('stores/mongodb-store.ts') },
      { find: /^typed-sessions\/libsql$/, replacement: src('stores/libsql-store.ts') },
      { find: /^typed-sessions\/file$/, replacement: src('stores/file-store/index.ts') },
      { find: /^typed-sessions\/lmdb$/, replacement: src('stores/lmdb-store.ts') },
      { find: /^typed-sessions\/unstorage$/, replacement: src('stores/unstorage-store.ts') },
      { find: /^typed-sessions\/cloudflare$/, replacement: src('stores/cloudflare/index.ts') },
      { find: /^typed-sessions\/deno-kv$/, replacement: src('stores/deno-kv-store.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // These run inside workerd (vitest.workerd.config.ts) or on Deno (vitest.deno.config.ts).
    exclude: [
      'test/stores/deno-kv-store.test.ts',
      '**/node_modules/**',
      'test/stores/{d1,durable-object,kv}-store.test.ts',
      'test/stores/durable-object-owners.test.ts',
      'test/runtimes/**',
      'examples/cloudflare/**',
      'examples/bun.test.ts',
      'examples/fetch-bun.test.ts',
      'examples/deno.test.ts',
      // Against dist/ (vitest.dist.config.ts).
      'test/docs/check-snippets.test.ts',
      'test/docs/readme-app.test.ts',
    ],
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 20_000,
  },
})
