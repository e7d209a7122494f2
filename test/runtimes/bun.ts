// The runtime scenarios on Bun (npm run test:bun): the built package, on a MemoryStore and on a
// SqliteStore over bun:sqlite (no native addon). Exits non-zero on any failure.
import { Database } from 'bun:sqlite'
import type * as Sqlite from 'typed-sessions/sqlite'
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
process.exit(report.failed === 0 && report.passed > 0 ? 0 : 1)

declare const Bun: { version: string }
