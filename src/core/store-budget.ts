import type { EngineEvents } from './engine-events.js'
import { attemptStore } from './errors.js'
import { inSaveLane, type SaveLane } from './save-lanes.js'
import type { SessionStore } from './store.js'

/**
 * One request's `storeTimeout`: every store call and every wait behind another save of the same
 * session in this process is spent from it, and each call is given only what is left. An
 * in-process store is never raced against a timer, so it has no budget to keep.
 */
export class StoreBudget {
  readonly #store: SessionStore
  readonly #timeout: number
  readonly #events: EngineEvents | undefined
  /** Tells the record key a failing call concerned, for the `storeError` event. */
  readonly #session: { recordKey(): string | undefined }
  /** Milliseconds left; undefined for an in-process store. */
  #left: number | undefined

  constructor(
    store: SessionStore,
    timeout: number,
    events: EngineEvents | undefined,
    session: { recordKey(): string | undefined }
  ) {
    this.#store = store
    this.#timeout = timeout
    this.#events = events
    this.#session = session
    this.#left = store.inProcess === true ? undefined : timeout
  }

  /** Runs one store call within what is left of `storeTimeout`, and spends its time from it. */
  call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const events = this.#events
    if (events?.on.storeError !== undefined) {
      return events.watchStoreCall(operation, this.#session.recordKey(), () =>
        this.#timed(operation, run)
      )
    }
    return this.#timed(operation, run)
  }

  #timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const left = this.#left
    if (left === undefined) return attemptStore(operation, run)
    const started = performance.now()
    return attemptStore(operation, run, left).finally(() => this.#spend(started))
  }

  /**
   * Runs `save` once the earlier saves of `key` in this process are done (see `inSaveLane`);
   * the wait is store time too, so it is bounded by, and spent from, what is left of it.
   */
  inLane<T>(key: string, save: (lane: SaveLane) => Promise<T>): Promise<T> {
    const left = this.#left
    if (left === undefined) return inSaveLane(this.#store, key, this.#timeout, save)
    const entered = performance.now()
    return inSaveLane(this.#store, key, Math.max(0, left), (lane) => {
      this.#spend(entered)
      return save(lane)
    })
  }

  #spend(since: number): void {
    this.#left! -= performance.now() - since
  }
}
