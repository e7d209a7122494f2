import { vi } from 'vitest'
import { KeyIndex } from '../../src/stores/memory-index.js'
import { KeyTable } from '../../src/stores/memory-key-table.js'
import { RecordSlab } from '../../src/stores/memory-slab.js'
import { MemoryStore, ownerIndexEntriesOf } from '../../src/stores/memory-store.js'
import type { StoreUnderTest } from './store-conformance.js'

/**
 * What a `MemoryStore` reads while `run` runs: the records it decodes, the owner columns it
 * looks at, the keys it looks up and the keys it walks. A walk of the store (a scan) costs what
 * the store holds; a lookup in the owner index costs what the owner has.
 */
export async function memoryReadCost(run: () => Promise<unknown>): Promise<number> {
  const spies = [
    vi.spyOn(RecordSlab.prototype, 'read'),
    vi.spyOn(RecordSlab.prototype, 'ownerOf'),
    vi.spyOn(KeyIndex.prototype, 'get'),
    vi.spyOn(KeyTable.prototype, 'get'),
    vi.spyOn(KeyTable.prototype, 'keyOf'),
  ]
  const walks = [vi.spyOn(KeyIndex.prototype, 'keys'), vi.spyOn(KeyTable.prototype, 'keys')]
  try {
    await run()
    const walked = walks
      .flatMap((keys) => keys.mock.results)
      .reduce((sum, result) => sum + (result.value as string[]).length, 0)
    return spies.reduce((sum, spy) => sum + spy.mock.calls.length, walked)
  } finally {
    for (const spy of [...spies, ...walks]) spy.mockRestore()
  }
}

/** A `MemoryStore` for the conformance suite, with its raw owner index and read cost at hand. */
export function memoryStoreUnderTest(store = new MemoryStore({ maxSessions: 20_000 })) {
  return {
    store,
    ownerIndexEntries: async (owner: string) => ownerIndexEntriesOf(store, owner),
    readCost: memoryReadCost,
  } satisfies StoreUnderTest
}
