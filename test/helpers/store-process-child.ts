/*
 * One child process of `runInProcesses`: opens its store, says it is ready, waits for 'go',
 * runs its task, sends the results and exits.
 */
import type { SessionRecord, SessionStore } from '../../src/core/store.js'
import type { ChildOrder, ProcessStoreKind } from './store-processes.js'

async function openStore(kind: ProcessStoreKind, location: string) {
  if (kind === 'file') {
    const { FileStore } = await import('../../src/stores/file-store/index.js')
    return { store: new FileStore({ dir: location }) as SessionStore, close: async () => {} }
  }
  const { open } = await import('lmdb')
  const db = open({ path: location, useVersions: true })
  const { LmdbStore } = await import('../../src/stores/lmdb-store.js')
  return { store: new LmdbStore(db) as SessionStore, close: () => db.close() }
}

function record(key: string, version: number, data: SessionRecord['data']): SessionRecord {
  const now = Date.now()
  return { key, data, createdAt: now, expiresAt: now + 3_600_000, version, schemaVersion: 0 }
}

async function run(order: ChildOrder, store: SessionStore): Promise<unknown[]> {
  const results: unknown[] = []
  const { writer, keys } = order
  if (order.task === 'compare-and-set') {
    for (const key of keys) results.push(await store.save(record(key, 1, { writer }), 0))
  } else if (order.task === 'create') {
    for (const key of keys) results.push(await store.create(record(key, 0, { writer })))
  } else {
    const key = keys[0] ?? ''
    for (let done = 0; done < (order.increments ?? 0);) {
      const current = await store.load(key)
      if (current === undefined) throw new Error(`${key} vanished`)
      const next = {
        ...current,
        data: { count: Number(current.data['count']) + 1 },
        version: current.version + 1,
      }
      if (await store.save(next, current.version)) done++
      else results.push('conflict')
    }
  }
  return results
}

process.once('message', (order: ChildOrder) => {
  void (async () => {
    const { store, close } = await openStore(order.kind, order.location)
    const go = new Promise((resolve) => process.once('message', resolve))
    process.send?.({ ready: true })
    await go
    const results = await run(order, store)
    await close()
    process.send?.({ results }, () => process.exit(0))
  })().catch((error: unknown) => {
    process.send?.({ error: `${String(error)} / cause: ${String((error as Error).cause)}` }, () =>
      process.exit(1)
    )
  })
})
