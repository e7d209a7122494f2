import { MemoryStore, type SessionStore } from 'typed-sessions'
import { sqliteFiles } from './sqlite-files.js'
import { deferred } from './stores.js'

/**
 * A point to hold one request at: `hold()` parks it there until `release()`; `arrived` settles
 * once it is parked, so the test runs the other request in between, then releases it.
 * @example const held = holdPoint(); const a = app.request('/a'); await held.arrived; …; held.release()
 */
export function holdPoint() {
  const arrived = deferred()
  const released = deferred()
  return {
    hold: async () => {
      arrived.resolve()
      await released.promise
    },
    arrived: arrived.promise,
    release: () => released.resolve(),
  }
}

/** Two handles on one store's records: what two requests racing on one session each use. */
export interface RacingStores {
  /** The name of the store, for the test titles. */
  name: string
  /**
   * Opens the store twice over the same records: one MemoryStore given twice (one process), or
   * two connections to one SQLite file (two processes, whose saves only the compare-and-set
   * keeps apart).
   */
  open(): Promise<[SessionStore, SessionStore]>
  /** Closes what `open` opened. */
  close(): void
}

/**
 * The stores the helpers' race tests run on: MemoryStore, and a SQLite file in WAL mode.
 * @example for (const stores of racingStores()) describe(stores.name, () => { … })
 */
export function racingStores(): RacingStores[] {
  const sqlite = sqliteFiles()
  const closers: (() => void)[] = []
  return [
    {
      name: 'MemoryStore',
      open: async () => {
        const store = new MemoryStore()
        return [store, store]
      },
      close: () => {},
    },
    {
      name: 'SqliteStore on a file, two connections',
      open: async () => {
        const file = sqlite.newFile()
        const first = await sqlite.migratedStore({}, sqlite.openDatabase(file))
        const second = await sqlite.migratedStore({}, sqlite.openDatabase(file))
        closers.push(
          () => first.db.close(),
          () => second.db.close()
        )
        return [first.store, second.store]
      },
      close: () => {
        for (const close of closers.splice(0)) close()
        sqlite.remove()
      },
    },
  ]
}
