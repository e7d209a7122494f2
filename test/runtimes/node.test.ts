import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type * as Sqlite from 'typed-sessions/sqlite'
import { clientOf, fetchScenarios, type Serve } from './fetch-scenarios.js'
import { importBuilt, loadBuiltPackage } from './load-package.js'
import { cookieScenarios, scenarios } from './scenarios.js'

// The runtime scenarios on Node, through vitest (npm run test:node-dist, after the build).
const pkg = await loadBuiltPackage()
const { SqliteStore } = await importBuilt<typeof Sqlite>('sqlite.js')
const stores = {
  MemoryStore: () => new pkg.core.MemoryStore(),
  'SqliteStore(better-sqlite3)': async () => {
    const store = new SqliteStore(new Database(':memory:'))
    await store.migrate()
    return store
  },
}

for (const [storeName, makeStore] of Object.entries(stores)) {
  describe(`the built package on Node ${process.version}, ${storeName}`, () => {
    for (const scenario of scenarios) {
      it(scenario.name, async () => {
        await expect(scenario.run(pkg, makeStore)).resolves.toBeUndefined()
      })
    }
  })
}

describe(`the built package on Node ${process.version}, CookieStore`, () => {
  for (const scenario of cookieScenarios) {
    it(scenario.name, async () => {
      await expect(scenario.run(pkg, () => new pkg.core.CookieStore())).resolves.toBeUndefined()
    })
  }
})

/** A plain fetch handler on Node's http server, through @hono/node-server's adapter. */
const serveOnNode: Serve = async (handler) => {
  const server = createAdaptorServer({ fetch: handler })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    client: clientOf(`http://127.0.0.1:${port}`),
    loopback: true,
    close: () =>
      new Promise<void>((done) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

describe(`the built Fetch adapter on Node ${process.version}, behind @hono/node-server`, () => {
  for (const scenario of fetchScenarios) {
    it(scenario.name, async () => {
      await expect(scenario.run(pkg, serveOnNode)).resolves.toBeUndefined()
    })
  }
})
