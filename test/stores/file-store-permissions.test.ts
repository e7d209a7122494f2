import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import { FileStore } from '../../src/stores/file-store/index.js'
import { acquireLockFile } from '../../src/stores/file-store/lock-file.js'
import { makeRecord } from '../helpers/store-conformance.js'

// Whoever can write into a FileStore's folder can replace any session's file (and so make any
// visitor an administrator): the folder and its files are the application user's alone.

const root = mkdtempSync(join(tmpdir(), 'typed-sessions-file-modes-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let dirs = 0
const newDir = () => join(root, `dir-${++dirs}`)
const modeOf = (path: string) => statSync(path).mode & 0o7777

/** The `SessionError` code `promise` rejects with, and its message; or what it resolved to. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => (isSessionError(error) ? [error.code, error.message] : error)
  )
}

describe.skipIf(process.platform === 'win32')('FileStore file modes', () => {
  it('creates its folder (and missing parents) 0700 and every file 0600', async () => {
    const parent = newDir()
    const dir = join(parent, 'sessions')
    const store = new FileStore({ dir })
    const record = makeRecord('modes')
    expect(await store.create(record)).toBe(true)
    expect(await store.save({ ...record, version: 1 }, 0)).toBe(true)

    expect(modeOf(parent)).toBe(0o700)
    expect(modeOf(dir)).toBe(0o700)
    const files = readdirSync(dir)
    expect(files).toHaveLength(1)
    for (const file of files) expect(modeOf(join(dir, file))).toBe(0o600)
  })

  it('creates its lock files 0600 too', async () => {
    const dir = newDir()
    mkdirSync(dir, { mode: 0o700 })
    const path = join(dir, 'session.lock')
    const lock = await acquireLockFile(path, { staleMs: 10_000, timeoutMs: 1000 })
    expect(modeOf(path)).toBe(0o600)
    await lock.release()
    expect(readdirSync(dir)).toStrictEqual([])
  })

  for (const mode of [0o777, 0o1777, 0o770, 0o722]) {
    it(`refuses a folder that others can write to (mode ${mode.toString(8)}) with CONFIG, for every operation`, async () => {
      const dir = newDir()
      mkdirSync(dir)
      chmodSync(dir, mode)
      const store = new FileStore({ dir })
      const record = makeRecord('refused')
      const operations: [string, () => Promise<unknown>][] = [
        ['load', () => store.load(record.key)],
        ['create', () => store.create(record)],
        ['save', () => store.save(record)],
        ['delete', () => store.delete(record.key)],
        ['deleteExpired', () => store.deleteExpired()],
        ['scan', async () => store.scan()[Symbol.asyncIterator]().next()],
      ]
      for (const [operation, run] of operations) {
        const outcome = await failureOf(run())
        expect(outcome, operation).toStrictEqual(['CONFIG', expect.stringMatching(/chmod 700/)])
      }
      expect(readdirSync(dir)).toStrictEqual([])

      // Made private, the same store works: the refusal is not remembered.
      chmodSync(dir, 0o700)
      expect(await store.create(record)).toBe(true)
      expect(await store.load(record.key)).toStrictEqual(record)
    })
  }

  it('uses a folder of an earlier version (0755) as it is; a 0644 file becomes 0600 when rewritten', async () => {
    const dir = newDir()
    expect(await new FileStore({ dir }).load('absent')).toBeUndefined()
    expect(() => statSync(dir)).toThrow(/ENOENT/)
    mkdirSync(dir)
    chmodSync(dir, 0o755)
    const store = new FileStore({ dir })
    const record = makeRecord('kept')
    expect(await store.create(record)).toBe(true)
    const [file = ''] = readdirSync(dir)
    chmodSync(join(dir, file), 0o644)
    expect(await store.save({ ...record, version: 1 }, 0)).toBe(true)
    expect(modeOf(join(dir, file))).toBe(0o600)
    expect(modeOf(dir)).toBe(0o755)
  })
})
