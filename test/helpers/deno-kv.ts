import type { DenoKvDatabase, DenoKvKeyPart } from '../../src/stores/deno-kv-store.js'

/**
 * `kv` behind a wrapper that counts what the DenoKvStore reads (each key `get` and `getMany`
 * asks for, each entry `list` yields) and its round trips, with `readCost` for the owner-index
 * conformance cases.
 * @example const { counted, readCost } = countedDenoKv(kv); new DenoKvStore(counted)
 */
export function countedDenoKv(kv: DenoKvDatabase) {
  const counts = { reads: 0, roundTrips: 0 }
  const counted: DenoKvDatabase = {
    get: (key) => (counts.reads++, counts.roundTrips++, kv.get(key)),
    getMany: (keys) => ((counts.reads += keys.length), counts.roundTrips++, kv.getMany(keys)),
    atomic: () => {
      const operation = kv.atomic()
      const commit = operation.commit.bind(operation)
      operation.commit = () => (counts.roundTrips++, commit())
      return operation
    },
    async *list(selector, options) {
      counts.roundTrips++
      for await (const entry of kv.list(selector, options)) {
        counts.reads++
        yield entry
      }
    },
  }
  const readCost = async (run: () => Promise<unknown>): Promise<number> => {
    const before = counts.reads
    await run()
    return counts.reads - before
  }
  return { counted, counts, readCost }
}

/**
 * How many index entries `owner` has under `prefix`, once Deno KV's own expiry has removed the
 * expired ones (each entry's value is its record's `expiresAt`): the conformance hook
 * `ownerIndexEntries`. Deno's local database purges expired keys once a minute, so this waits up
 * to 75 s for that, then counts what is left anyway.
 */
export async function denoKvOwnerEntries(
  kv: DenoKvDatabase,
  prefix: readonly DenoKvKeyPart[],
  owner: string
): Promise<number> {
  const deadline = Date.now() + 75_000
  for (;;) {
    const values: unknown[] = []
    for await (const entry of kv.list({ prefix: [...prefix, 'owner', owner] })) {
      values.push(entry.value)
    }
    const expired = values.filter((value) => typeof value === 'number' && value <= Date.now())
    if (expired.length === 0 || Date.now() > deadline) return values.length
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
