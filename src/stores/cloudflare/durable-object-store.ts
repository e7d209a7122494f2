import { SessionError, attemptStore, corruptRecord } from '../../core/errors.js'
import type { SessionRecord, SessionStore } from '../../core/store.js'
import { decodeRecordText, encodeRecord } from '../record-json.js'
import type { DurableObjectNamespaceBinding } from './bindings.js'
import type { SessionObjectReply, SessionObjectRequest } from './session-object-protocol.js'

/**
 * A session store in Durable Objects: one object per session (named by the record key), which
 * holds that session's record in its own transactional storage. A Durable Object runs one request
 * at a time, so its compare-and-set is atomic and strongly consistent, wherever the Worker runs.
 * Expiry: `load` hides a record from its `expiresAt` on, and an alarm set at `expiresAt` deletes
 * it, so storage is reclaimed without a sweep (no `deleteExpired`). There is no `scan`: Durable
 * Objects cannot be listed, so `migrateStore` does not apply (records are still migrated lazily,
 * when a request loads them). There is no `listOwner` either, so sessions cannot be bound to a
 * user (`session.bind`, `createAuth({ sessionsPerUser })` answer `CONFIG`; `auth.login` logs in
 * without binding): an index of a user's sessions would live in another object than each
 * session, and no Durable Object write spans two objects, so the index could only be kept in
 * step by a protocol between them (entries added before a binding write, with versions that a
 * prune checks inside the session's object). Use the D1Store for sessions per user on Cloudflare.
 *
 * Export `SessionDurableObject` from your Worker and bind it:
 * ```toml
 * [[durable_objects.bindings]]
 * name = "SESSIONS"
 * class_name = "SessionDurableObject"
 *
 * [[migrations]]
 * tag = "v1"
 * new_sqlite_classes = ["SessionDurableObject"]
 * ```
 * @example
 * import { DurableObjectStore } from 'typed-sessions/cloudflare'
 * export { SessionDurableObject } from 'typed-sessions/cloudflare'
 *
 * const store = new DurableObjectStore(env.SESSIONS)
 */
export class DurableObjectStore implements SessionStore {
  readonly #namespace: DurableObjectNamespaceBinding

  constructor(namespace: DurableObjectNamespaceBinding) {
    if (
      typeof namespace !== 'object' ||
      namespace === null ||
      typeof namespace.idFromName !== 'function'
    ) {
      throw new SessionError(
        'CONFIG',
        'DurableObjectStore takes a Durable Object namespace binding of SessionDurableObject, e.g. new DurableObjectStore(env.SESSIONS); see the README for the wrangler.toml binding.'
      )
    }
    this.#namespace = namespace
  }

  /** Inserts the record if no live record has its key; an expired one is replaced. */
  async create(record: SessionRecord): Promise<boolean> {
    return attemptStore('create', async () => {
      const reply = await this.#call(record.key, { op: 'create', record: encodeRecord(record) })
      return reply.ok === true
    })
  }

  /** The record with this key, or `undefined` if it is missing or expired. */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', async () => {
      const reply = await this.#call(key, { op: 'load' })
      if (reply.invalid !== undefined) throw corruptRecord(key, new Error(reply.invalid))
      return reply.record === undefined ? undefined : decodeRecordText(key, reply.record)
    })
  }

  /**
   * Without `expectedVersion`, an upsert. With it, an atomic compare-and-set inside the session's
   * object: `false` when the stored version differs or the record is missing or expired.
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return attemptStore('save', async () => {
      const request: SessionObjectRequest =
        expectedVersion === undefined
          ? { op: 'save', record: encodeRecord(record) }
          : { op: 'save', record: encodeRecord(record), expectedVersion }
      return (await this.#call(record.key, request)).ok === true
    })
  }

  /** Deletes the record with this key; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', () => this.#call(key, { op: 'delete' }))
  }

  async #call(key: string, request: SessionObjectRequest): Promise<SessionObjectReply> {
    const stub = this.#namespace.get(this.#namespace.idFromName(key))
    const response = await stub.fetch(
      new Request('https://session-durable-object/', {
        method: 'POST',
        body: JSON.stringify(request),
      })
    )
    if (!response.ok) {
      throw new Error(`SessionDurableObject answered ${response.status}: ${await response.text()}`)
    }
    return (await response.json()) as SessionObjectReply
  }
}
