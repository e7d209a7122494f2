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
      // The docs against the package as users get it: the snippets compile, the README app runs.
      'test/docs/check-snippets.test.ts',
      'test/docs/readme-app.test.ts',
    ],
    testTimeout: 20_000,
  },
})
