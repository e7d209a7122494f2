import type { SessionStore } from 'typed-sessions'
import { deferred } from './stores.js'

/** A load held by `holdNext`: `read` settles once it has read the record, `release` lets it answer. */
export interface HeldLoad {
  read: Promise<void>
  release: () => void
}

/**
 * `store` passed through, except the first load after each `holdNext()`: it reads the record,
 * then waits for `release` before answering, so that a test can run another request between a
 * read and its answer.
 * @example
 * const held = holdingLoads(store)
 * const load = held.holdNext()
 * const pending = caching.load('k'); await load.read; await other.delete('k'); load.release()
 */
export function holdingLoads(store: SessionStore) {
  let next: { read: () => void; released: Promise<void> } | undefined
  const wrapped: SessionStore = {
    create: (record, options) => store.create(record, options),
    save: (record, expectedVersion) => store.save(record, expectedVersion),
    delete: (key) => store.delete(key),
    load: async (key) => {
      const record = await store.load(key)
      const held = next
      next = undefined
      if (held !== undefined) {
        held.read()
        await held.released
      }
      return record
    },
  }
  return {
    store: wrapped,
    holdNext(): HeldLoad {
      const read = deferred()
      const released = deferred()
      next = { read: () => read.resolve(), released: released.promise }
      return { read: read.promise, release: () => released.resolve() }
    },
  }
}
