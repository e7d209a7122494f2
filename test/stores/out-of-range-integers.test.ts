import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient } from '@libsql/client'
import Database from 'better-sqlite3'
import { afterAll, describe, it } from 'vitest'
import { LibsqlStore } from '../../src/stores/libsql-store.js'
import { SqliteStore } from '../../src/stores/sqlite-store.js'
import { expectOutOfRangeRowsInvalid } from '../helpers/out-of-range-rows.js'

// An integer a column can hold but a JavaScript number cannot (beyond 2^53) is stored data that
// does not fit: the invalid-data policy for its session, skipped by scan and migrateStore. Never
// an outage of the session, or of every bulk read of the table.

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-out-of-range-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('An integer beyond 2^53 in a SQLite-dialect row is invalid stored data', () => {
  it('on libSQL, whose client throws a RangeError for the whole result', async () => {
    const client = createClient({ url: pathToFileURL(join(dir, 'libsql.db')).href })
    const store = new LibsqlStore(client)
    await store.migrate()
    await expectOutOfRangeRowsInvalid(store, 'sessions', (sql) => client.execute(sql))
    client.close()
  })

  it('on SQLite over better-sqlite3, which would round it', async () => {
    const db = new Database(':memory:')
    const store = new SqliteStore(db)
    await store.migrate()
    await expectOutOfRangeRowsInvalid(store, 'sessions', async (sql) => db.exec(sql))
    db.close()
  })
})
