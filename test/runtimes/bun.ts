// The runtime scenarios on Bun (npm run test:bun): the built package, on a MemoryStore and on a
// SqliteStore over bun:sqlite (no native addon). Exits non-zero on any failure.
import { Database } from 'bun:sqlite'
import type * as Sqlite from 'typed-sessions/sqlite'
import { runWebSocketScenarios } from './bun-websocket.js'
import { clientOf, runFetchScenarios, type Serve } from './fetch-scenarios.js'
import { importBuilt, loadBuiltPackage } from './load-package.js'
import { runScenarios } from './scenarios.js'

const pkg = await loadBuiltPackage()
const { SqliteStore } = await importBuilt<typeof Sqlite>('sqlite.js')

const report = await runScenarios(`bun ${Bun.version}`, pkg, {
  MemoryStore: () => new pkg.core.MemoryStore(),
  'SqliteStore(bun:sqlite)': async () => {
    const store = new SqliteStore(new Database(':memory:'))
    await store.migrate()
    return store
  },
})

/** A plain fetch handler on Bun.serve, on a free loopback port. */
const serveOnBun: Serve = async (handler) => {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler })
  return {
    client: clientOf(`http://127.0.0.1:${server.port}`),
    loopback: true,
    close: async () => server.stop(true),
  }
}
await runFetchScenarios(`bun ${Bun.version}`, pkg, serveOnBun, report)
await runWebSocketScenarios(`bun ${Bun.version}`, report)
console.log(`bun ${Bun.version}: ${report.passed} passed, ${report.failed} failed in all`)

// A SqliteStore over bun:sqlite used before migrate() is a setup step not done: CONFIG, which
// says to run it (not STORE_UNAVAILABLE, "try again later").
const unmigrated = new SqliteStore(new Database(':memory:'))
const failure = (await unmigrated.load('k').catch((error: unknown) => error)) as
  { code?: unknown; message?: unknown } | undefined
const refused = failure?.code === 'CONFIG' && /store\.migrate\(\)/.test(String(failure.message))
console.log(
  `${refused ? 'ok  ' : 'FAIL'} bun · SqliteStore(bun:sqlite) before migrate() fails with CONFIG: ${String(failure?.message)}`
)
process.exit(report.failed === 0 && report.passed > 0 && refused ? 0 : 1)

declare const Bun: {
  version: string
  serve(options: {
    port: number
    hostname: string
    fetch: (request: Request, server: unknown) => Promise<Response>
  }): { port: number; stop(closeActiveConnections?: boolean): void }
}
