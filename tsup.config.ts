import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'hono/index': 'src/hono/index.ts',
    'auth/index': 'src/auth/index.ts',
    'fetch/index': 'src/web/fetch.ts',
    'otel/index': 'src/otel/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cli/main': 'src/cli/main.ts',
    sqlite: 'src/stores/sqlite-store.ts',
    redis: 'src/stores/redis-store.ts',
    postgres: 'src/stores/postgres-store.ts',
    mysql: 'src/stores/mysql-store.ts',
    dynamodb: 'src/stores/dynamodb-store.ts',
    surrealdb: 'src/stores/surrealdb-store.ts',
    mongodb: 'src/stores/mongodb-store.ts',
    libsql: 'src/stores/libsql-store.ts',
    file: 'src/stores/file-store/index.ts',
    lmdb: 'src/stores/lmdb-store.ts',
    unstorage: 'src/stores/unstorage-store.ts',
    cloudflare: 'src/stores/cloudflare/index.ts',
    'deno-kv': 'src/stores/deno-kv-store.ts',
  },
  format: ['esm'],
  // Keep `node:` specifiers: Deno resolves built-ins only with the prefix.
  removeNodeProtocol: false,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // Loaded only for a TypeScript config on a Node that cannot run it (src/cli/config.ts).
  external: ['tsx', 'tsx/esm/api'],
})
