import { SessionError, attemptStore, corruptRecord } from '../../core/errors.js'
import type { SessionRecord, SessionStore } from '../../core/store.js'
import { decodeRecordText, encodeRecord } from '../record-json.js'
import type { DurableObjectNamespaceBinding } from './bindings.js'
import {
  MAX_BIND_ATTEMPTS,
  OwnerDirectories,
  callObject,
  ownerNonce,
} from './durable-object-owners.js'
import type { SessionObjectReply, SessionObjectRequest } from './session-object-protocol.js'

/** Options of `DurableObjectStore`. */
export interface DurableObjectStoreOptions {
  /**
   * The namespace binding of `SessionOwnerDirectory` (e.g. `env.SESSION_OWNERS`): with it, the
   * store keeps an index of sessions per user (`listOwner`), one directory object per user.
   * @default undefined (no `listOwner`: binding a session is refused with `CONFIG`)
   */
  owners?: DurableObjectNamespaceBinding
}

/** Which write a binding write is: its request, given how the record is bound. */
type WriteRequest = (bound: { nonce?: string; keep?: true }) => SessionObjectRequest

/**
 * A session store in Durable Objects: one object per session (named by the record key), which
 * holds that session's record in its own transactional storage. A Durable Object runs one request
 * at a time, so its compare-and-set is atomic and strongly consistent, wherever the Worker runs.
 * Expiry: `load` hides a record from its `expiresAt` on, and an alarm set at `expiresAt` deletes
 * it, so storage is reclaimed without a sweep (no `deleteExpired`). There is no `scan`: Durable
 * Objects cannot be listed, so `migrateStore` does not apply (records are still migrated lazily,
 * when a request loads them).
 *
 * Sessions per user (`listOwner`, `session.bind`, `createAuth({ sessionsPerUser })`) need the
 * `owners` option: a second class, `SessionOwnerDirectory`, one object per user, whose entries
 * the store keeps in step with the records by ordering its writes (see durable-object-owners.ts):
 * a listing never misses a bound session nor shows a dead one, and an entry left by an expired
 * or deleted session lasts until the user's next listing. A save that keeps a session bound to
 * its user costs no directory call; a login costs one more, a listing one call per session.
 *
 * Export both classes from your Worker and bind them:
 * ```toml
 * [[durable_objects.bindings]]
 * name = "SESSIONS"
 * class_name = "SessionDurableObject"
 *
 * [[durable_objects.bindings]]
 * name = "SESSION_OWNERS"
 * class_name = "SessionOwnerDirectory"
 *
 * [[migrations]]
 * tag = "v1"
 * new_sqlite_classes = ["SessionDurableObject", "SessionOwnerDirectory"]
 * ```
 * @example
 * import { DurableObjectStore } from 'typed-sessions/cloudflare'
 * export { SessionDurableObject, SessionOwnerDirectory } from 'typed-sessions/cloudflare'
 *
 * const store = new DurableObjectStore(env.SESSIONS, { owners: env.SESSION_OWNERS })
 */
export class DurableObjectStore implements SessionStore {
  /**
   * The live records bound to an owner: its directory's entries, each checked in its session's
   * object; stale entries are pruned on the way. Present only with the `owners` option.
   */
  declare readonly listOwner?: (owner: string) => Promise<SessionRecord[]>

  readonly #namespace: DurableObjectNamespaceBinding
  readonly #owners: OwnerDirectories | undefined

  constructor(namespace: DurableObjectNamespaceBinding, options: DurableObjectStoreOptions = {}) {
    if (!isNamespace(namespace)) {
      throw new SessionError(
        'CONFIG',
        'DurableObjectStore takes a Durable Object namespace binding of SessionDurableObject, e.g. new DurableObjectStore(env.SESSIONS); see the README for the wrangler.toml binding.'
      )
    }
    this.#namespace = namespace
    const { owners } = options
    if (owners !== undefined && !isNamespace(owners)) {
      throw new SessionError(
        'CONFIG',
        'DurableObjectStore options.owners takes a Durable Object namespace binding of SessionOwnerDirectory, e.g. { owners: env.SESSION_OWNERS } with a [[durable_objects.bindings]] name = "SESSION_OWNERS", class_name = "SessionOwnerDirectory" in wrangler.toml.'
      )
    }
    this.#owners = owners === undefined ? undefined : new OwnerDirectories(owners)
    if (this.#owners !== undefined) {
      Object.defineProperty(this, 'listOwner', {
        value: (owner: string) => attemptStore('listOwner', () => this.#listOwner(owner)),
      })
    }
  }

  /** Inserts the record if no live record has its key; an expired one is replaced. */
  async create(record: SessionRecord): Promise<boolean> {
    return attemptStore('create', async () => {
      const text = encodeRecord(record)
      const reply = await this.#write(record, false, (bound) => ({
        op: 'create',
        record: text,
        ...bound,
      }))
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
      const text = encodeRecord(record)
      const reply = await this.#write(record, true, (bound) => ({
        op: 'save',
        record: text,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...bound,
      }))
      return reply.ok === true
    })
  }

  /** Deletes the record with this key; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', async () => {
      const reply = await this.#call(key, { op: 'delete' })
      await this.#leave(key, reply)
    })
  }

  /**
   * Writes `record` by `request`. Bound to an owner (with `owners`): first as a save that keeps
   * the stored binding (`keep`), and when there is none to keep, under a fresh nonce added to
   * the owner's directory first, again under another if a racing listing fenced it.
   */
  async #write(
    record: SessionRecord,
    keep: boolean,
    request: WriteRequest
  ): Promise<SessionObjectReply> {
    const owners = this.#owners
    const { owner, key } = record
    if (owners === undefined || owner === undefined) {
      const reply = await this.#call(key, request({}))
      await this.#leave(key, reply)
      return reply
    }
    let reply: SessionObjectReply = keep
      ? await this.#call(key, request({ keep: true }))
      : { needsEntry: true }
    for (let attempt = 1; reply.needsEntry === true || reply.fenced === true; attempt++) {
      if (attempt > MAX_BIND_ATTEMPTS) {
        throw new Error(
          `listings of this owner fenced ${MAX_BIND_ATTEMPTS} binding writes of one session in a row`
        )
      }
      const nonce = ownerNonce()
      await owners.add(owner, key, nonce, record.expiresAt)
      reply = await this.#call(key, request({ nonce }))
      // Refused, so never written: the nonce binds nothing.
      if (reply.ok !== true) await owners.forget(owner, key, [nonce])
    }
    await this.#leave(key, reply)
    return reply
  }

  /** After a write or delete: the entry of the binding it replaced is stale, and goes. */
  async #leave(key: string, reply: SessionObjectReply): Promise<void> {
    const previous = reply.previous
    if (this.#owners !== undefined && reply.ok === true && previous !== undefined) {
      await this.#owners.forget(previous.owner, key, [previous.nonce])
    }
  }

  async #listOwner(owner: string): Promise<SessionRecord[]> {
    const owners = this.#owners!
    const entries = await owners.entries(owner)
    const listed = await Promise.all(
      Object.entries(entries).map(async ([key, nonces]) => {
        const reply = await this.#call(key, { op: 'check', owner, nonces })
        if (reply.record !== undefined) return decodeRecordText(key, reply.record)
        // Fenced by the check: no write still on its way can bind the record under them.
        await owners.forget(owner, key, Object.keys(nonces))
        return undefined
      })
    )
    const now = Date.now()
    return listed.filter(
      (record): record is SessionRecord => record !== undefined && record.expiresAt > now
    )
  }

  #call(key: string, request: SessionObjectRequest): Promise<SessionObjectReply> {
    return callObject(this.#namespace, key, request, 'SessionDurableObject')
  }
}

function isNamespace(value: unknown): value is DurableObjectNamespaceBinding {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as DurableObjectNamespaceBinding).idFromName === 'function'
  )
}
