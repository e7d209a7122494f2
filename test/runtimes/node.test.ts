import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type * as Sqlite from 'typed-sessions/sqlite'
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
