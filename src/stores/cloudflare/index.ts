export { D1Store, d1Schema, type D1StoreOptions } from './d1-store.js'
export { DurableObjectStore, type DurableObjectStoreOptions } from './durable-object-store.js'
export { KvStore, type KvStoreOptions } from './kv-store.js'
export { SessionDurableObject } from './session-durable-object.js'
export { SessionOwnerDirectory } from './session-owner-directory.js'
export type {
  D1DatabaseBinding,
  D1StatementBinding,
  DurableObjectNamespaceBinding,
  DurableObjectStateBinding,
  DurableObjectStorageBinding,
  DurableObjectStubBinding,
  KvListPage,
  KvNamespaceBinding,
  KvPutOptions,
} from './bindings.js'
