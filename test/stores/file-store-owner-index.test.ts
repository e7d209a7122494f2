import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import type * as FsPromises from 'node:fs/promises'
import { ownerKeyOf } from '../../src/core/owner.js'
import type { SessionRecord } from '../../src/core/store.js'
import { FileStore } from '../../src/stores/file-store/index.js'
import { fileNameOf } from '../../src/stores/file-store/record-file.js'
import { backendCallsPerReturningRequest } from '../helpers/round-trips.js'
import { makeRecord } from '../helpers/store-conformance.js'

// FileStore's owner index beyond the conformance cases: what a crash between a record's write
// and its index entry's leaves (never listed, pruned), what a listing reads, and what a
// returning visitor pays. The file system calls of the store are counted through this mock.
const calls = vi.hoisted(() => ({ names: [] as string[], filesRead: 0 }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>()
  const counted = Object.fromEntries(
    Object.entries(fs).map(([name, value]) => [
      name,
      typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.names.push(name)
            const result = (value as (...args: unknown[]) => unknown)(...args)
            if (name === 'readFile') calls.filesRead++
            if (name === 'readdir') {
              return (result as Promise<string[]>).then((names) => {
                calls.filesRead += names.length
                return names
              })
            }
            return result
          }
        : value,
    ])
  )
  return { ...counted, default: counted }
})

vi.setConfig({ testTimeout: 60_000 })
const root = mkdtempSync(join(tmpdir(), 'typed-sessions-file-owners-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const newStore = () => {
  const dir = join(root, `store-${++dirs}`)
  return { dir, store: new FileStore({ dir }) }
}
const ada = ownerKeyOf('ada')
const bob = ownerKeyOf('bob')
const keysOf = (records: SessionRecord[]) => records.map((record) => record.key).sort()
/** The entry files under `owner` in the store's directory. */
const entriesOf = async (dir: string, owner: string) => {
  const path = join(dir, 'owners', await fileNameOf(owner))
  return existsSync(path) ? readdirSync(path) : []
}
/** An index entry as a crash between two steps of a write would leave it. */
const leaveEntry = async (dir: string, owner: string, key: string) => {
  const path = join(dir, 'owners', await fileNameOf(owner))
  mkdirSync(path, { recursive: true })
  writeFileSync(join(path, await fileNameOf(key)), '')
}

describe('FileStore owner index', () => {
  it('keeps one empty file per bound record under owners/<hash of the owner>/, named as the record', async () => {
    const { dir, store } = newStore()
    const record = makeRecord('bound', { owner: ada })
    await store.create(record)
    expect(await entriesOf(dir, ada)).toStrictEqual([await fileNameOf('bound')])
    expect(await store.save({ ...record, owner: bob, version: 1 }, 0)).toBe(true)
    expect(await entriesOf(dir, ada)).toStrictEqual([])
    expect(await entriesOf(dir, bob)).toStrictEqual([await fileNameOf('bound')])
    await store.delete('bound')
    expect(await entriesOf(dir, bob)).toStrictEqual([])
  })

  it('an entry a crash left (its record gone, or bound elsewhere) is never listed, and the listing prunes it', async () => {
    const { dir, store } = newStore()
    await store.create(makeRecord('mine', { owner: ada }))
    await store.create(makeRecord('rebound', { owner: bob }))
    await leaveEntry(dir, ada, 'rebound') // the crash came after the re-binding rename
    await leaveEntry(dir, ada, 'deleted') // the crash came after the record's removal
    expect(await entriesOf(dir, ada)).toHaveLength(3)
    expect(keysOf(await store.listOwner(ada))).toStrictEqual(['mine'])
    expect(await entriesOf(dir, ada)).toStrictEqual([await fileNameOf('mine')])
    expect(keysOf(await store.listOwner(bob))).toStrictEqual(['rebound'])
  })

  it('deleteExpired removes the entries of expired records, those a crash left, and emptied owner directories', async () => {
    const { dir, store } = newStore()
    await store.create(makeRecord('live', { owner: ada }))
    await store.save(makeRecord('old', { owner: ada, expiresAt: Date.now() - 1 }))
    await leaveEntry(dir, bob, 'gone')
    expect(await store.deleteExpired()).toBe(1)
    expect(await entriesOf(dir, ada)).toStrictEqual([await fileNameOf('live')])
    expect(readdirSync(join(dir, 'owners'))).toStrictEqual([await fileNameOf(ada)])
    expect(keysOf(await store.listOwner(ada))).toStrictEqual(['live'])
  })

  it('a listing reads the owner directory and its records, not the store', async () => {
    const { store } = newStore()
    for (let i = 0; i < 3; i++) await store.create(makeRecord(`mine-${i}`, { owner: ada }))
    for (let i = 0; i < 300; i++) {
      await store.create(makeRecord(`other-${i}`, i % 2 === 0 ? { owner: bob } : {}))
    }
    const before = calls.filesRead
    expect(await store.listOwner(ada)).toHaveLength(3)
    expect(calls.filesRead - before).toBe(3 + 3) // three entries listed, three records read
  })

  it('a returning visitor bound to a user makes the file system calls an unbound one does', async () => {
    const count = () => calls.names.length
    const unbound = await backendCallsPerReturningRequest(newStore().store, count)
    const bound = await backendCallsPerReturningRequest(newStore().store, count, 10, 'ada')
    expect(bound.counter).toBe('11')
    expect(unbound.perRequest).toBeGreaterThan(0)
    expect(bound.perRequest).toBe(unbound.perRequest)
  })
})
