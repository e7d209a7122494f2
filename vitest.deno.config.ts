import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/** The tests that need Deno's own APIs (Deno KV), run by vitest on Deno: `npm run test:deno`. */
export default defineConfig({
  resolve: base.resolve ?? {},
  test: {
    include: ['test/stores/deno-kv-store.test.ts', 'test/runtimes/deno/**/*.test.ts'],
    testTimeout: 60_000,
  },
})
