// The parts of the Workers bindings the stores use, declared structurally: the package then needs
// neither @cloudflare/workers-types nor the `cloudflare:workers` module, and a real binding
// (`env.DB`, `env.SESSIONS`, `env.KV`) fits each interface as it is.

/** The part of a D1 prepared statement `D1Store` uses. */
export interface D1StatementBinding {
  bind(...values: unknown[]): D1StatementBinding
  first(): Promise<unknown>
  run(): Promise<{ meta: { changes: number } }>
  all(): Promise<{ results: unknown[] }>
}

/** The part of a D1 database binding (`env.DB`) `D1Store` uses. */
export interface D1DatabaseBinding {
  prepare(query: string): D1StatementBinding
}

/** Options of a Workers KV `put`: an absolute expiration in epoch seconds. */
export interface KvPutOptions {
  expiration?: number
}

/** One page of a Workers KV `list`. */
export interface KvListPage {
  keys: { name: string }[]
  list_complete: boolean
  cursor?: string
}

/** The part of a Workers KV namespace binding (`env.KV`) `KvStore` uses. */
export interface KvNamespaceBinding {
  get(key: string, type: 'text'): Promise<string | null>
  put(key: string, value: string, options?: KvPutOptions): Promise<void>
  delete(key: string): Promise<void>
  list(options: { prefix: string; cursor?: string; limit?: number }): Promise<KvListPage>
}

/** The part of a Durable Object stub `DurableObjectStore` uses. */
export interface DurableObjectStubBinding {
  fetch(request: Request): Promise<Response>
}

/**
 * The part of a Durable Object namespace binding (`env.SESSIONS`, `env.SESSION_OWNERS`)
 * `DurableObjectStore` uses.
 */
export interface DurableObjectNamespaceBinding {
  idFromName(name: string): unknown
  get(id: unknown): DurableObjectStubBinding
}

/** The part of a Durable Object's storage `SessionDurableObject` and `SessionOwnerDirectory` use. */
export interface DurableObjectStorageBinding {
  get(key: string): Promise<unknown>
  put(key: string, value: unknown): Promise<void>
  delete(key: string): Promise<boolean>
  list(options: { prefix: string }): Promise<Map<string, unknown>>
  deleteAll(): Promise<void>
  setAlarm(scheduledTime: number): Promise<void>
}

/** The part of a Durable Object's state `SessionDurableObject` uses. */
export interface DurableObjectStateBinding {
  storage: DurableObjectStorageBinding
}
