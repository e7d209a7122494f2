import type { DurableObjectStateBinding } from './bindings.js'
import type {
  OwnerDirectoryReply,
  OwnerDirectoryRequest,
  OwnerNonces,
} from './session-object-protocol.js'
import { answerStoreCall } from './session-object-protocol.js'

/** Storage keys of entries: `entry:<record key>`, each holding its nonces. */
const ENTRY = 'entry:'

/**
 * The Durable Object class of the owner directories of `DurableObjectStore` (sessions per user):
 * one instance per owner key, holding an entry per record bound to that owner, each entry the
 * nonces of the writes that bound it (with the expiry each write gave the record). Every request
 * only reads and writes its own storage, so the input gate makes each one atomic. Export it from
 * your Worker's main module under this name and bind it (see `DurableObjectStore`).
 * @example export { SessionDurableObject, SessionOwnerDirectory } from 'typed-sessions/cloudflare'
 */
export class SessionOwnerDirectory {
  readonly #state: DurableObjectStateBinding

  constructor(state: DurableObjectStateBinding, _env?: unknown) {
    this.#state = state
  }

  /** Answers one `DurableObjectStore` call. */
  fetch(request: Request): Promise<Response> {
    return answerStoreCall('SessionOwnerDirectory', request, (message: OwnerDirectoryRequest) =>
      this.#handle(message)
    )
  }

  async #handle(message: OwnerDirectoryRequest): Promise<OwnerDirectoryReply> {
    const storage = this.#state.storage
    switch (message.op) {
      case 'add': {
        const nonces = await this.#nonces(message.key)
        nonces[message.nonce] = message.until
        await storage.put(ENTRY + message.key, nonces)
        return {}
      }
      case 'list': {
        const entries: Record<string, OwnerNonces> = {}
        for (const [name, nonces] of await storage.list({ prefix: ENTRY })) {
          entries[name.slice(ENTRY.length)] = nonces as OwnerNonces
        }
        return { entries }
      }
      case 'remove': {
        // Only the nonces named: a write that bound the record again added its own meanwhile.
        const nonces = await this.#nonces(message.key)
        for (const nonce of message.nonces) delete nonces[nonce]
        if (Object.keys(nonces).length === 0) await storage.delete(ENTRY + message.key)
        else await storage.put(ENTRY + message.key, nonces)
        return {}
      }
    }
  }

  async #nonces(key: string): Promise<OwnerNonces> {
    return ((await this.#state.storage.get(ENTRY + key)) as OwnerNonces | undefined) ?? {}
  }
}
