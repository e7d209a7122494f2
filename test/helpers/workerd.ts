import { env, runInDurableObject } from 'cloudflare:test'
import type {
  D1DatabaseBinding,
  DurableObjectNamespaceBinding,
  DurableObjectStorageBinding,
  KvNamespaceBinding,
} from '../../src/stores/cloudflare/index.js'

/**
 * The local bindings of the workerd test Worker (vitest.workerd.config.ts), typed as the
 * Cloudflare stores take them. Only importable from tests that run inside workerd.
 */
export const bindings = {
  db: env['DB'] as D1DatabaseBinding,
  kv: env['KV'] as KvNamespaceBinding,
  sessions: env['SESSIONS'] as DurableObjectNamespaceBinding,
  owners: env['SESSION_OWNERS'] as DurableObjectNamespaceBinding,
}

/** A table name no other test run uses. */
export function uniqueTableName(stem: string): string {
  return `${stem}_${crypto.randomUUID().replaceAll('-', '')}`
}

/**
 * Runs `task` on the storage of the session object of record key `key`, inside that object: to
 * write what `DurableObjectStore` never would (a corrupt value, a copied one).
 */
export function objectStorage<T>(
  key: string,
  task: (storage: DurableObjectStorageBinding) => Promise<T>
): Promise<T> {
  const stub = bindings.sessions.get(bindings.sessions.idFromName(key))
  return runInDurableObject(stub, (_, state) => task(state.storage as DurableObjectStorageBinding))
}

/** Runs `task` on the storage of the owner directory of `owner`, inside that object. */
export function directoryStorage<T>(
  owner: string,
  task: (storage: DurableObjectStorageBinding) => Promise<T>
): Promise<T> {
  const stub = bindings.owners.get(bindings.owners.idFromName(owner))
  return runInDurableObject(stub, (_, state) => task(state.storage as DurableObjectStorageBinding))
}
