// The runtime scenarios on Deno (npm run test:deno): the built package, on a MemoryStore, a
// DenoKvStore over Deno.openKv(':memory:') and a SqliteStore over node:sqlite. Exits non-zero on
// any failure.
import type * as DenoKv from 'typed-sessions/deno-kv'
import type * as Sqlite from 'typed-sessions/sqlite'
import { clientOf, runFetchScenarios, type Serve } from './fetch-scenarios.js'
import { importBuilt, loadBuiltPackage } from './load-package.js'
import { runScenarios } from './scenarios.js'

const pkg = await loadBuiltPackage()
const { DenoKvStore } = await importBuilt<typeof DenoKv>('deno-kv.js')
const { SqliteStore } = await importBuilt<typeof Sqlite>('sqlite.js')
const moduleName = 'node:sqlite'
const { DatabaseSync } = (await import(moduleName)) as {
  DatabaseSync: new (path: string) => Sqlite.SqliteDatabase
}

const report = await runScenarios(`deno ${Deno.version.deno}`, pkg, {
  MemoryStore: () => new pkg.core.MemoryStore(),
  'DenoKvStore(:memory:)': async () => new DenoKvStore(await Deno.openKv(':memory:')),
  'SqliteStore(node:sqlite)': async () => {
    const store = new SqliteStore(new DatabaseSync(':memory:'))
    await store.migrate()
    return store
  },
})

/** A plain fetch handler on Deno.serve, on a free loopback port. */
const serveOnDeno: Serve = async (handler) => {
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, handler)
  return {
    client: clientOf(`http://127.0.0.1:${server.addr.port}`),
    loopback: true,
    close: () => server.shutdown(),
  }
}
await runFetchScenarios(`deno ${Deno.version.deno}`, pkg, serveOnDeno, report)
console.log(`deno ${Deno.version.deno}: ${report.passed} passed, ${report.failed} failed in all`)
Deno.exit(report.failed === 0 && report.passed > 0 ? 0 : 1)

declare const Deno: {
  version: { deno: string }
  openKv(path: string): Promise<DenoKv.DenoKvDatabase>
  exit(code: number): never
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: (request: Request, info: unknown) => Promise<Response>
  ): { addr: { port: number }; shutdown(): Promise<void> }
}
