import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/**
 * The tests that run inside workerd (the Workers runtime) through miniflare's local bindings:
 * the Cloudflare stores' conformance and the runtime scenario suite. `npm run test:workerd`.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      main: './test/runtimes/workerd/worker.ts',
      miniflare: {
        compatibilityDate: '2026-07-01',
        kvNamespaces: ['KV'],
        d1Databases: ['DB'],
        durableObjects: {
          SESSIONS: 'SessionDurableObject',
          SESSION_OWNERS: 'SessionOwnerDirectory',
        },
        // What examples/cloudflare/worker.ts reads from its env.
        bindings: {
          SESSION_SECRET: 'workerd test secret: thirty-two characters or more',
          SECURE_COOKIES: 'false',
        },
      },
    }),
  ],
  resolve: base.resolve ?? {},
  test: {
    include: [
      'test/stores/{d1,durable-object,kv}-store.test.ts',
      'test/stores/durable-object-owners.test.ts',
      'test/runtimes/workerd/**/*.test.ts',
      'examples/cloudflare/worker.test.ts',
    ],
    // 10,000 records written one by one into miniflare's local KV and D1 take minutes.
    testTimeout: 600_000,
  },
})
