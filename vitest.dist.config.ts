import { defineConfig } from 'vitest/config'

/**
 * Tests of the built package (dist/) on Node: the runtime scenarios and the examples that import
 * the package as users do. Build first: `npm run build && npm run test:node-dist`.
 */
export default defineConfig({
  test: {
    include: [
      'test/runtimes/node.test.ts',
      'test/runtimes/node-otel.test.ts',
      'test/runtimes/testing-kit.test.ts',
      'examples/bun.test.ts',
      'examples/fetch-bun.test.ts',
      'examples/deno.test.ts',
      'examples/cloudflare/dev.test.ts',
    ],
    testTimeout: 20_000,
  },
})
