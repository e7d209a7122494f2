import { freezeJson, type JsonValue } from './json.js'
import { NOT_LOADED, type SessionData } from './session-data.js'

/**
 * Recomputes one key from its current value: the `fn` of `update`, wrapped by the engine (and
 * the typed layer) so that its result is validated again each time it runs. `undefined`
 * removes the key.
 */
export type UpdateStep = (current: JsonValue | undefined) => JsonValue | undefined

/** One change a handler made to the data, as it made it. */
export type Change =
  | { readonly op: 'set'; readonly key: string; readonly value: JsonValue }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'update'; readonly key: string; readonly step: UpdateStep }
  | { readonly op: 'clear' }

/**
 * The changes of one request, in the order its handler made them (DESIGN.md §8). When a
 * compare-and-set save finds that a concurrent request saved first, the engine puts the fresh
 * record under the data and replays the log on it: a `set` writes its value again (for one key,
 * the last save wins), while an `update` recomputes its value from the fresh one, so 50 racing
 * increments count 50. `setExpiry`, `cycleId` and `flush` are kept by the engine itself: the
 * first two are facts about the session rather than about a key, and `flush` ends the record at
 * once, so nothing before it is ever replayed.
 */
export class ChangeLog {
  #changes: Change[] | undefined

  /** True while the request has made no change to the data. */
  get isEmpty(): boolean {
    return this.#changes === undefined
  }

  /** Records `change` (already applied to the data by the caller). */
  add(change: Change): void {
    // Most requests make one change: an array of one, not one grown by `push` (17 slots).
    if (this.#changes === undefined) this.#changes = [change]
    else this.#changes.push(change)
  }

  /** Forgets every change: after a save, or when `flush` ends the record they applied to. */
  reset(): void {
    this.#changes = undefined
  }

  /** Applies every change again, in order, to `data` (freshly rebased on a newer record). */
  replayOn(data: SessionData): void {
    for (const change of this.#changes ?? []) applyChange(data, change)
  }
}

/** Applies one change to the data; an `update` runs its step on the current value. */
export function applyChange(data: SessionData, change: Change): void {
  switch (change.op) {
    case 'set':
      return data.set(change.key, change.value)
    case 'delete':
      return data.delete(change.key)
    case 'clear':
      return data.clear()
    case 'update': {
      const current = data.peek(change.key)
      if (current === NOT_LOADED) throw new Error('an update is replayed only on loaded data')
      const next = change.step(freezeJson(current))
      return next === undefined ? data.delete(change.key) : data.set(change.key, next)
    }
  }
}
