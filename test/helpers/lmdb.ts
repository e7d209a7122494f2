import type { LmdbDatabase } from '../../src/stores/lmdb-store.js'

/**
 * `db` behind a wrapper that records each call the LmdbStore makes (`calls`), and `readCost`
 * for the owner-index conformance cases: how many entries the store read while `run` ran (each
 * `getEntry`, and each entry a range read returned).
 * @example const { counted, readCost } = countedLmdb(db); new LmdbStore(counted)
 */
export function countedLmdb(db: LmdbDatabase) {
  const calls: string[] = []
  let reads = 0
  const counted: LmdbDatabase = {
    useVersions: true,
    getEntry: (key) => (calls.push('getEntry'), reads++, db.getEntry(key)),
    put: (...args) => (calls.push('put'), db.put(...args)),
    ifNoExists: (key, action) => (calls.push('ifNoExists'), db.ifNoExists(key, action)),
    ifVersion: (key, version, action) => (
      calls.push('ifVersion'),
      db.ifVersion(key, version, action)
    ),
    remove: (key, version) => (calls.push('remove'), db.remove(key, version)),
    getRange: (options) => {
      const entries = Array.from(db.getRange(options))
      reads += entries.length
      return entries
    },
  }
  const readCost = async (run: () => Promise<unknown>): Promise<number> => {
    const before = reads
    await run()
    return reads - before
  }
  return { counted, calls, readCost }
}
