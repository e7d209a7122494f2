import { setOwn, type JsonObject, type JsonValue } from './json.js'

const DELETED = Symbol('deleted')

/** What `peek` answers when only the loaded record can tell. */
export const NOT_LOADED = Symbol('not loaded')

const STOP = () => true

/** The data of no record: shared, never written. */
export const NO_DATA: JsonObject = Object.freeze({})

/**
 * The data one request sees: the loaded record's data overlaid with the request's own changes.
 * The changes are kept apart so that a compare-and-set conflict at save time can be resolved by
 * reloading the record under them and saving again: a key this request did not touch keeps the
 * concurrent request's value.
 *
 * Both are plain objects read through `Object.hasOwn`, not maps: the record's data is taken as
 * the store gave it (never written to, so a store may share it), and the changes object costs a
 * quarter of an empty `Map`. Keys are set with `setOwn`, so a `__proto__` key stays data.
 */
export class SessionData {
  /** The loaded record's data; undefined until loaded. */
  #base: JsonObject | undefined
  /** Created on the first change: most requests only read. */
  #changes: { [key: string]: JsonValue | typeof DELETED } | undefined
  /** `clear()` was called: the record's data no longer shows through. */
  #cleared = false

  /** The current value of `key`, or `NOT_LOADED` when that depends on the unloaded record. */
  peek(key: string): JsonValue | undefined | typeof NOT_LOADED {
    const changes = this.#changes
    if (changes !== undefined && Object.hasOwn(changes, key)) {
      const change = changes[key]!
      return change === DELETED ? undefined : change
    }
    if (this.#cleared) return undefined
    const base = this.#base
    if (base === undefined) return NOT_LOADED
    return Object.hasOwn(base, key) ? base[key] : undefined
  }

  /** True while the loaded record is needed to list the keys. */
  get needsRecord(): boolean {
    return !this.#cleared && this.#base === undefined
  }

  set(key: string, value: JsonValue): void {
    setOwn((this.#changes ??= {}) as JsonObject, key, value)
  }

  delete(key: string): void {
    setOwn((this.#changes ??= {}) as JsonObject, key, DELETED as never)
  }

  /** Hides the record's data and drops this request's changes. */
  clear(): void {
    this.#cleared = true
    this.#changes = undefined
  }

  /** Puts `base` (the loaded record's data, or undefined to forget it) under the changes. */
  rebase(base: JsonObject | undefined): void {
    this.#base = base
  }

  /** After a save: `data` is what the store holds now, with no change pending. */
  settle(data: JsonObject = NO_DATA): void {
    this.#base = data
    this.#changes = undefined
    this.#cleared = false
  }

  /** The keys that hold a value: the record's (unless cleared) with the changes applied. */
  keys(): string[] {
    const keys: string[] = []
    this.#each((key) => void keys.push(key))
    return keys
  }

  /** True when no key holds a value (nothing is built to tell). */
  isEmpty(): boolean {
    return this.#each(STOP)
  }

  /** The data as a whole, as a new object: what a save writes (at every save: no closure). */
  toObject(): JsonObject {
    const data: JsonObject = {}
    const changes = this.#changes
    const base = this.#cleared ? undefined : this.#base
    for (const key in base) {
      if (!Object.hasOwn(base, key)) continue
      const changed = changes !== undefined && Object.hasOwn(changes, key)
      const value = changed ? changes[key]! : base[key]!
      if (value !== DELETED) setOwn(data, key, value)
    }
    for (const key in changes) {
      if (!Object.hasOwn(changes, key) || (base !== undefined && Object.hasOwn(base, key))) continue
      const value = changes[key]!
      if (value !== DELETED) setOwn(data, key, value)
    }
    return data
  }

  /**
   * Calls `visit` with each key that holds a value and its value, in the record's order with new
   * keys after; stops, answering false, as soon as `visit` returns true. True when none did.
   */
  #each(visit: (key: string, value: JsonValue) => boolean | void): boolean {
    const changes = this.#changes
    const base = this.#cleared ? undefined : this.#base
    for (const key in base) {
      if (!Object.hasOwn(base, key)) continue
      const changed = changes !== undefined && Object.hasOwn(changes, key)
      const value = changed ? changes[key]! : base[key]!
      if (value !== DELETED && visit(key, value) === true) return false
    }
    for (const key in changes) {
      if (!Object.hasOwn(changes, key) || (base !== undefined && Object.hasOwn(base, key))) continue
      const value = changes[key]!
      if (value !== DELETED && visit(key, value) === true) return false
    }
    return true
  }
}
