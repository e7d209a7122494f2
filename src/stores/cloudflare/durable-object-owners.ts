import { toBase64url } from '../../core/base64url.js'
import type { DurableObjectNamespaceBinding } from './bindings.js'
import type {
  OwnerDirectoryReply,
  OwnerDirectoryRequest,
  OwnerNonces,
} from './session-object-protocol.js'

/*
 * DurableObjectStore's owner index (sessions per user, DESIGN.md §12). No Durable Object write
 * spans two objects, so a session's object and its owner's directory are kept in an order:
 *
 * - a write that binds record R to owner O adds a fresh nonce to R's entry in O's directory
 *   first, then writes R (carrying the nonce, which R's object keeps with the record). A save
 *   that keeps R bound to O asks R's object to keep its nonce, with no directory call;
 * - a write that unbinds or re-binds R, or deletes it, writes first; R's object answers with the
 *   owner and nonce it replaced, which are then removed from that directory (best effort);
 * - `listOwner(O)` reads O's entries, then asks each R's object (in parallel) whether R is live
 *   and bound to O. If not, R's object fences the entry's nonces first (a write still carrying
 *   one is refused, and the store retries it under a fresh nonce), so the listing can remove them
 *   without losing a binding on its way; a removal names its nonces, so it never takes one a
 *   write added meanwhile.
 *
 * So every record bound to O has its nonce in O's directory (a listing never misses one), and a
 * listing shows only what R's object says is live and bound to O now. What a failed removal, or
 * the alarm that deletes an expired record, leaves is a stale entry, never listed, pruned by the
 * next listing of its owner: stale entries last one listing. A fence lasts until the expiry its
 * write would have given the record: past it, such a write could not make a live record.
 */

/** Attempts of a binding write whose nonce a racing listing fenced each time. */
export const MAX_BIND_ATTEMPTS = 5

/** A fresh nonce for a write that binds a record: 96 random bits. */
export const ownerNonce = (): string => toBase64url(crypto.getRandomValues(new Uint8Array(12)))

/** One call to the object named `name` in `namespace`, answered in JSON. */
export async function callObject<T>(
  namespace: DurableObjectNamespaceBinding,
  name: string,
  message: unknown,
  className: string
): Promise<T> {
  const stub = namespace.get(namespace.idFromName(name))
  const response = await stub.fetch(
    new Request('https://typed-sessions-durable-object/', {
      method: 'POST',
      body: JSON.stringify(message),
    })
  )
  if (!response.ok) {
    throw new Error(`${className} answered ${response.status}: ${await response.text()}`)
  }
  return (await response.json()) as T
}

/** The owner directories of a `DurableObjectStore`: one `SessionOwnerDirectory` per owner key. */
export class OwnerDirectories {
  readonly #namespace: DurableObjectNamespaceBinding

  constructor(namespace: DurableObjectNamespaceBinding) {
    this.#namespace = namespace
  }

  /** Adds `nonce` to the entry of `key` under `owner`, before the write that binds the record. */
  async add(owner: string, key: string, nonce: string, until: number): Promise<void> {
    await this.#call(owner, { op: 'add', key, nonce, until })
  }

  /** The entries under `owner`, by record key. */
  async entries(owner: string): Promise<Record<string, OwnerNonces>> {
    return (await this.#call(owner, { op: 'list' })).entries ?? {}
  }

  /**
   * Removes `nonces` from the entry of `key` under `owner`. Never throws: what a failure leaves
   * is a stale entry the next listing prunes, and the write it cleans up after has happened.
   */
  async forget(owner: string, key: string, nonces: string[]): Promise<void> {
    await this.#call(owner, { op: 'remove', key, nonces }).catch(() => undefined)
  }

  #call(owner: string, message: OwnerDirectoryRequest): Promise<OwnerDirectoryReply> {
    return callObject(this.#namespace, owner, message, 'SessionOwnerDirectory')
  }
}
