// The runtime scenarios on Bun (npm run test:bun): the built package, on a MemoryStore and on a
// SqliteStore over bun:sqlite (no native addon). Exits non-zero on any failure.
import { Database } from 'bun:sqlite'
import type * as Sqlite from 'typed-sessions/sqlite'
import { runWebSocketScenarios } from './bun-websocket.js'
import { clientOf, runFetchScenarios, type Serve } from './fetch-scenarios.js'
import { importBuilt, loadBuiltPackage } from './load-package.js'
import { runScenarios } from './scenarios.js'
import {
  COLUMNS_BEFORE_OWNER,
  sqliteTableBeforeOwner,
  valuesBeforeOwner,
} from '../helpers/tables-before-owner.js'

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

// The owner index over bun:sqlite: a table of the previous release (without the owner column)
// holding a session is upgraded by migrate(), the session kept; a save binds it, listOwner
// lists it, a delete ends the entry.
const previous = new Database(':memory:')
for (const statement of sqliteTableBeforeOwner()) previous.exec(statement)
const now = Date.now()
const old = {
  key: 'old',
  data: { count: 7 },
  createdAt: now,
  expiresAt: now + 3_600_000,
  version: 0,
  schemaVersion: 0,
}
previous
  .prepare(`INSERT INTO "sessions" (${COLUMNS_BEFORE_OWNER}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  .run(...valuesBeforeOwner(old))
const upgraded = new SqliteStore(previous)
await upgraded.migrate()
const owner = pkg.core.ownerKeyOf('ada')
const kept = JSON.stringify(await upgraded.load('old')) === JSON.stringify(old)
const bound = await upgraded.save({ ...old, owner, version: 1 }, 0)
const listed = (await upgraded.listOwner(owner)).map(
  (record) => `${record.key}:${record.owner === owner}`
)
await upgraded.delete('old')
const indexed =
  kept && bound && listed.join() === 'old:true' && (await upgraded.listOwner(owner)).length === 0
console.log(
  `${indexed ? 'ok  ' : 'FAIL'} bun · SqliteStore(bun:sqlite) migrate() keeps a previous release's session, then listOwner lists it once bound: kept ${kept}, listed [${listed.join()}]`
)
process.exit(report.failed === 0 && report.passed > 0 && refused && indexed ? 0 : 1)

declare const Bun: {
  version: string
  serve(options: {
    port: number
    hostname: string
    fetch: (request: Request, server: unknown) => Promise<Response>
  }): { port: number; stop(closeActiveConnections?: boolean): void }
}
