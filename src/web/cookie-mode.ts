import { cookieSize, RecordSealer, type SealOptions } from '../cookie/sealed-record.js'
import { SessionError } from '../core/errors.js'
import { stateOf } from '../core/record-markers.js'
import { recordKeyOf } from '../core/session-id.js'
import type { SessionRecord, SessionStore } from '../core/store.js'
import type { CookieStore } from '../stores/cookie-store.js'

/*
 * The middleware's cookie mode (`store: new CookieStore()`, DESIGN.md §9). The record travels
 * sealed in the cookie; for one request it is held in a `RequestRecords`, a tiny store the
 * engine loads from and saves to as from any other, so the lifecycle (flush, cycleId, expiry,
 * the absolute timeout, migrations on load) works unchanged. After the handler, the record the
 * engine last saved under its id is sealed into the response's cookie.
 */

/** A sealed cookie value that opened: the session id, and whether an older key opened it. */
export interface OpenedCookie {
  readonly id: string
  /** The cookie value that opened. */
  readonly value: string
  readonly rotated: boolean
}

/** Session ids are 22 base64url characters, which JSON never escapes: any 22 measure the same. */
const ID_STAND_IN = 'x'.repeat(22)

/** Seals and opens the records of one middleware; built once, when the middleware is created. */
export class SealedCookies {
  readonly #sealer: RecordSealer
  readonly #cookieName: string
  readonly #maxCookieSize: number
  readonly #absoluteTimeoutMs: number | undefined

  constructor(
    store: CookieStore,
    secret: string | readonly string[],
    cookieName: string,
    absoluteTimeout: number | undefined
  ) {
    this.#sealer = new RecordSealer(secret, cookieName)
    this.#cookieName = cookieName
    this.#maxCookieSize = store.maxCookieSize
    this.#absoluteTimeoutMs = absoluteTimeout === undefined ? undefined : absoluteTimeout * 1000
  }

  /**
   * The request's records: the first of `values` that opens (a forged, foreign or expired one
   * is no session, never an error), held under the record key of the id it carries.
   */
  open(values: readonly string[], maxCandidates: number): RequestRecords {
    for (let i = 0; i < values.length && i < maxCandidates; i++) {
      // Never sealed that large: a stuffed header costs no decryption.
      if (values[i]!.length > this.#maxCookieSize) continue
      const opened = this.#sealer.open(values[i]!)
      if (opened === undefined) continue
      const id = opened.record.key
      const record = { ...opened.record, key: recordKeyOf(id) }
      return new RequestRecords(this, { id, value: values[i]!, rotated: opened.rotated }, record)
    }
    return new RequestRecords(this, undefined, undefined)
  }

  /** The cookie value that carries `record` under the session `id`. */
  seal(record: SessionRecord, id: string): string {
    return this.#sealer.seal({ ...record, key: id }, this.#sealOptions(record))
  }

  /** Refuses, before it is saved, a record whose cookie would be larger than browsers keep. */
  checkSize(record: SessionRecord): void {
    const length = this.#sealer.sealedLength(
      { ...record, key: ID_STAND_IN },
      this.#sealOptions(record)
    )
    const size = cookieSize(this.#cookieName, '') + length
    if (size <= this.#maxCookieSize) return
    throw new SessionError(
      'COOKIE_TOO_LARGE',
      `The session cookie would take ${size} bytes, over the ${this.#maxCookieSize}-byte limit (browsers drop larger cookies), so the session was not saved. Keep less in the session (an id rather than a whole object), or use a server store (e.g. RedisStore) instead of CookieStore.`
    )
  }

  #sealOptions(record: SessionRecord): SealOptions {
    const timeout = this.#absoluteTimeoutMs
    return timeout === undefined ? {} : { absoluteExpiresAt: record.createdAt + timeout }
  }
}

/**
 * The records of one request, in a Map: what the cookie brought, and what the engine writes.
 * Its compare-and-set is exact, but only within the request: concurrent requests each hold
 * their own copy, and the cookie the browser keeps last wins.
 */
export class RequestRecords implements SessionStore {
  /** The records live in this object: no call waits on I/O. */
  readonly inProcess = true
  readonly #cookies: SealedCookies
  readonly #records = new Map<string, SessionRecord>()
  /** The cookie the request brought, if one opened. */
  readonly opened: OpenedCookie | undefined

  constructor(
    cookies: SealedCookies,
    opened: OpenedCookie | undefined,
    record: SessionRecord | undefined
  ) {
    this.#cookies = cookies
    this.opened = opened
    if (record !== undefined) this.#records.set(record.key, record)
  }

  create(record: SessionRecord): Promise<boolean> {
    if (this.#records.has(record.key)) return Promise.resolve(false)
    return this.#write(record)
  }

  load(key: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.#records.get(key))
  }

  save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    if (expectedVersion !== undefined && this.#records.get(record.key)?.version !== expectedVersion)
      return Promise.resolve(false)
    return this.#write(record)
  }

  delete(key: string): Promise<void> {
    this.#records.delete(key)
    return Promise.resolve()
  }

  /** The cookie value for the session `id` as it stands now; undefined if it holds none. */
  sealFor(id: string | undefined): string | undefined {
    if (id === undefined) return undefined
    const record = this.#records.get(recordKeyOf(id))
    return record === undefined ? undefined : this.#cookies.seal(record, id)
  }

  #write(record: SessionRecord): Promise<boolean> {
    try {
      // Markers (a moved or flushed session) stay here and are never sealed: no size to check.
      if (stateOf(record).kind === 'live') this.#cookies.checkSize(record)
    } catch (error) {
      return Promise.reject(error as Error)
    }
    this.#records.set(record.key, record)
    return Promise.resolve(true)
  }
}
