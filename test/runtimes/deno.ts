// The runtime scenarios on Deno (npm run test:deno): the built package, on a MemoryStore, a
// DenoKvStore over Deno.openKv(':memory:') and a SqliteStore over node:sqlite. Exits non-zero on
// any failure.
import type * as DenoKv from 'typed-sessions/deno-kv'
import type * as Sqlite from 'typed-sessions/sqlite'
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
Deno.exit(report.failed === 0 && report.passed > 0 ? 0 : 1)

declare const Deno: {
  version: { deno: string }
  openKv(path: string): Promise<DenoKv.DenoKvDatabase>
  exit(code: number): never
}
