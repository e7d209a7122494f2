import type { JsonValue } from './json.js'

const DELETED = Symbol('deleted')

/** What `peek` answers when only the loaded record can tell. */
export const NOT_LOADED = Symbol('not loaded')

/**
 * The data one request sees: the loaded record's data overlaid with the request's own changes.
 * The changes are kept apart so that a compare-and-set conflict at save time can be resolved by
 * reloading the record under them and saving again: a key this request did not touch keeps the
 * concurrent request's value.
 */
export class SessionData {
  /** The loaded record's data; undefined until loaded. */
  #base: Map<string, JsonValue> | undefined
  /** Created on the first change: most requests only read. */
  #changes: Map<string, JsonValue | typeof DELETED> | undefined
  /** `clear()` was called: the record's data no longer shows through. */
  #cleared = false

  /** The current value of `key`, or `NOT_LOADED` when that depends on the unloaded record. */
  peek(key: string): JsonValue | undefined | typeof NOT_LOADED {
    const change = this.#changes?.get(key)
    if (change !== undefined) return change === DELETED ? undefined : change
    if (this.#cleared) return undefined
    return this.#base === undefined ? NOT_LOADED : this.#base.get(key)
  }

  /** True while the loaded record is needed to list the keys. */
  get needsRecord(): boolean {
    return !this.#cleared && this.#base === undefined
  }

  set(key: string, value: JsonValue): void {
    ;(this.#changes ??= new Map()).set(key, value)
  }

  delete(key: string): void {
    ;(this.#changes ??= new Map()).set(key, DELETED)
  }

  /** Hides the record's data and drops this request's changes. */
  clear(): void {
    this.#cleared = true
    this.#changes = undefined
  }

  /** Puts `base` (the loaded record's data, or undefined to forget it) under the changes. */
  rebase(base: Map<string, JsonValue> | undefined): void {
    this.#base = base
  }

  /** After a save: `data` is what the store holds now, with no change pending. */
  settle(data: Map<string, JsonValue>): void {
    this.#base = data
    this.#changes = undefined
    this.#cleared = false
  }

  /** The data as a whole: the record's (unless cleared) with the changes applied. */
  materialize(): Map<string, JsonValue> {
    const data = this.#cleared || this.#base === undefined ? new Map() : new Map(this.#base)
    for (const [key, change] of this.#changes ?? []) {
      if (change === DELETED) data.delete(key)
      else data.set(key, change)
    }
    return data
  }
}
