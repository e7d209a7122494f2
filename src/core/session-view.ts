import { secondsUntil, type Expiry } from './expiry.js'
import type { SessionConfig } from './session-config.js'
import type { SessionInner } from './session-inner.js'

/**
 * What a `Session` tells about itself without changing anything: its id, whether it was
 * modified, loaded, saved or lost, its expiry and owner. `Session` adds the operations.
 */
export class SessionView {
  readonly #s: SessionInner

  constructor(inner: SessionInner) {
    this.#s = inner
  }

  /** The session id; undefined for a new session until saved, and after cycleId/flush. */
  get id(): string | undefined {
    return this.#s.id
  }

  /** True once this request changed the data or the expiry (Django's `modified`). */
  get isModified(): boolean {
    return this.#s.modified
  }

  /** True once `save()` persisted this session (by the handler or the middleware). */
  get wasSaved(): boolean {
    return this.#s.saved
  }

  /** True once the record was loaded (or there was none to load). */
  get isLoaded(): boolean {
    return this.#s.isLoaded
  }

  /** True once the handler used the session in any way (Django's `accessed`). */
  get isAccessed(): boolean {
    return this.#s.accessed
  }

  /**
   * Set when the session this request loaded ended under it, and its changes were dropped:
   * `'logout'` when a concurrent request flushed it (or it expired meanwhile: the response
   * removes the cookie), `'login'` when a concurrent `cycleId` moved it to a new id (the
   * response leaves the cookie alone: the browser gets the new one from that request).
   */
  get lostTo(): 'logout' | 'login' | undefined {
    return this.#s.lostTo
  }

  /**
   * The expiry in force: the one set for this session, else the configured one. A per-session
   * expiry stored by an earlier request is known once the session is loaded (`await load()`).
   */
  get expiry(): Expiry {
    return this.#s.expiry
  }

  /**
   * The owner key (`ownerKeyOf(userId)`) the session is bound to, as the next save writes it: the
   * stored one once loaded, or the one `bind` set. Undefined for a session bound to no one.
   */
  get owner(): string | undefined {
    return this.#s.owner
  }

  /** How this session is persisted: its store, expiry and timeouts (the auth helpers read it). */
  get config(): Readonly<SessionConfig> {
    return this.#s.config
  }

  /** The record key of this session (as stores and events see it); undefined with no id. */
  get recordKey(): string | undefined {
    return this.#s.recordKey()
  }

  /** The schema version of the loaded record, or undefined if none was loaded. */
  get storedSchemaVersion(): number | undefined {
    return this.#s.stored?.schemaVersion
  }

  /** When this session ends if saved now (after the absolute timeout, if one is set). */
  expiresAt(): Date {
    return new Date(this.#s.expiresAtMs(this.#s.now()))
  }

  /** Seconds until `expiresAt()`, rounded up, never negative. */
  expiryAge(): number {
    const now = this.#s.now()
    return secondsUntil(this.#s.expiresAtMs(now), now)
  }

  /** When the stored record ends (epoch milliseconds); undefined if nothing is stored. */
  get storedExpiresAt(): number | undefined {
    return this.#s.stored?.expiresAt
  }

  /** Seconds until the stored record ends, never negative; undefined if nothing is stored. */
  storedExpiryAge(): number | undefined {
    if (this.#s.stored === undefined) return undefined
    return secondsUntil(this.#s.stored.expiresAt, this.#s.now())
  }

  /** True when there is no id and no data (Django's `is_empty`). */
  isEmpty(): boolean {
    return this.#s.id === undefined && this.#s.data.isEmpty()
  }
}
