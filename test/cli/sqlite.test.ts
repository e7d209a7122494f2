import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { recordKeyOf } from 'typed-sessions'
import { SqliteStore } from 'typed-sessions/sqlite'
import { CookieSigner } from '../../src/cookie/signer.js'
import { runCapturing, seedSessions } from '../helpers/cli.js'
import { SECRET } from '../helpers/http.js'

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const config = ['--config', 'test/cli/fixtures/sqlite.config.ts']

let db: Database.Database
let store: SqliteStore
let oldIds: string[]

beforeEach(async () => {
  process.env.CLI_TEST_SQLITE = join(dir, `${crypto.randomUUID()}.db`)
  db = new Database(process.env.CLI_TEST_SQLITE)
  store = new SqliteStore(db)
  await store.migrate()
  oldIds = (await seedSessions(store, 5, 3)).slice(0, 5)
  return () => db.close()
})

describe('typed-sessions stats on SQLite', () => {
  it('counts the sessions per schema version, and their size', async () => {
    const run = await runCapturing(['stats', '--json', ...config])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const bytes = 5 * '{"count":1}'.length + 3 * '{"counter":1,"role":"guest"}'.length
    expect(JSON.parse(run.stdout)).toEqual({
      sessions: 8,
      currentVersion: 3,
      versions: { '1': 5, '3': 3 },
      older: 5,
      newer: 0,
      expired: 0,
      size: { total: bytes, largest: 28, average: Math.round(bytes / 8) },
    })
  })

  it('says in words which versions need a migration', async () => {
    const { stdout } = await runCapturing(['stats', ...config])
    expect(stdout).toContain('sessions: 8 (schema version 3 is current)')
    expect(stdout).toContain('version 1: 5 (older: `typed-sessions migrate` upgrades them)')
    expect(stdout).toContain('version 3: 3 (current)')
  })
})

describe('typed-sessions inspect on SQLite', () => {
  it('prints the record of a session id, found by its hash', async () => {
    const run = await runCapturing(['inspect', oldIds[2]!, '--json', ...config])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      key: recordKeyOf(oldIds[2]!),
      schemaVersion: 1,
      upToDate: false,
      data: { count: 3 },
    })
  })

  it('takes a whole cookie value too', async () => {
    const cookie = new CookieSigner(SECRET, 'id').sign(oldIds[0]!)
    const run = await runCapturing(['inspect', cookie, ...config])
    expect(JSON.parse(run.stdout)).toMatchObject({ data: { count: 1 } })
  })

  it('exits 1 with a message for an id without a live session', async () => {
    const run = await runCapturing(['inspect', 'AAAAAAAAAAAAAAAAAAAAAA', ...config])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/No live session with id AAAAAAAAAAAAAAAAAAAAAA/)
  })
})

describe('typed-sessions migrate on SQLite', () => {
  it('--dry-run reports what would change, with progress, and changes nothing', async () => {
    const run = await runCapturing(['migrate', '--dry-run', '--batch-size', '3', ...config])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^dry run: would migrate 5 of 8 sessions to version 3; 3 already current/
    )
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^checking \[#{30}\] 8\/8 100%$/)
    expect(run.stderr).toMatch(/\] 3\/8 38%/)
    expect((await store.load(recordKeyOf(oldIds[4]!)))?.schemaVersion).toBe(1)
  })

  it('upgrades every old session through the migration chain', async () => {
    const run = await runCapturing(['migrate', '--json', ...config])
    expect(JSON.parse(run.stdout)).toMatchObject({
      scanned: 8,
      migrated: 5,
      current: 3,
      invalid: 0,
    })
    expect(await store.load(recordKeyOf(oldIds[4]!))).toMatchObject({
      schemaVersion: 3,
      data: { counter: 5, role: 'customer' },
    })
    expect(
      JSON.parse((await runCapturing(['stats', '--json', ...config])).stdout).versions
    ).toEqual({ '3': 8 })
  })

  it('redraws one line on a terminal', async () => {
    const run = await runCapturing(['migrate', ...config], true)
    expect(run.stderr).toMatch(/^\rmigrating \[\.{30}\] 0\/8 0%\rmigrating \[#{30}\] 8\/8 100%\n$/)
  })
})

describe('typed-sessions purge-expired on SQLite', () => {
  it('deletes the expired sessions and says how many', async () => {
    const past = Date.now() - 1000
    for (const key of ['gone-1', 'gone-2']) {
      await store.create({
        key,
        data: {},
        createdAt: past,
        expiresAt: past,
        version: 0,
        schemaVersion: 3,
      })
    }
    expect((await runCapturing(['purge-expired', ...config])).stdout).toBe(
      'deleted 2 expired sessions'
    )
    expect((await runCapturing(['purge-expired', '--json', ...config])).stdout).toBe(
      '{"deleted":0}'
    )
  })
})

describe('the typed-sessions command', () => {
  it('runs as a program: --help, and stats on a TypeScript config', async () => {
    const run = promisify(execFile)
    const cli = ['tsx', 'src/cli/main.ts']
    const help = await run('npx', [...cli, '--help'])
    expect(help.stdout).toMatch(/^Usage: typed-sessions <command>/)
    const { stdout } = await run('npx', [...cli, 'stats', '--json', ...config], {
      env: process.env,
    })
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 8 })
  })
})
