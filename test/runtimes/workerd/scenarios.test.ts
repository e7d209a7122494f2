import { createExecutionContext, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type * as Cloudflare from 'typed-sessions/cloudflare'
import { bindings, uniqueTableName } from '../../helpers/workerd.js'
import { importBuilt, loadBuiltPackage } from '../load-package.js'
import { fetchScenarios, type Serve } from '../fetch-scenarios.js'
import { cookieScenarios, scenarios } from '../scenarios.js'

// The runtime scenarios inside workerd (npm run test:workerd, after the build), on a MemoryStore
// and on each Cloudflare store over miniflare's local bindings.
const pkg = await loadBuiltPackage()
const { D1Store, DurableObjectStore, KvStore } =
  await importBuilt<typeof Cloudflare>('cloudflare.js')
const stores = {
  MemoryStore: () => new pkg.core.MemoryStore(),
  D1Store: async () => {
    const store = new D1Store(bindings.db, { tableName: uniqueTableName('scenarios') })
    await store.migrate()
    return store
  },
  DurableObjectStore: () => new DurableObjectStore(bindings.sessions),
  KvStore: () => new KvStore(bindings.kv, { prefix: `scenarios-${crypto.randomUUID()}:` }),
}

for (const [storeName, makeStore] of Object.entries(stores)) {
  describe(`the built package in workerd, ${storeName}`, () => {
    for (const scenario of scenarios) {
      it(scenario.name, async () => {
        await expect(scenario.run(pkg, makeStore)).resolves.toBeUndefined()
      })
    }
  })
}

describe('the built package in workerd, CookieStore', () => {
  for (const scenario of cookieScenarios) {
    it(scenario.name, async () => {
      await expect(scenario.run(pkg, () => new pkg.core.CookieStore())).resolves.toBeUndefined()
    })
  }
})

/** A plain fetch handler as a Worker's `fetch(request, env, ctx)`, called as workerd calls it. */
const serveAsWorker: Serve = async (handler) => {
  const worker = {
    fetch: handler as (request: Request, env: unknown, ctx: unknown) => Promise<Response>,
  }
  return {
    client: { fetch: (request) => worker.fetch(request, env, createExecutionContext()) },
    loopback: false,
    close: async () => {},
  }
}

describe("the built Fetch adapter in workerd, as a Worker's fetch", () => {
  for (const scenario of fetchScenarios) {
    it(scenario.name, async () => {
      await expect(scenario.run(pkg, serveAsWorker)).resolves.toBeUndefined()
    })
  }
})
