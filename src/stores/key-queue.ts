/**
 * Runs the tasks given for one key one after another, in the order given, within this process;
 * tasks for different keys run concurrently. Stores whose backend has no atomic conditional
 * write use it so that their own writes of one record never interleave (and, for the file
 * store, so that one process's requests wait here instead of polling a lock file).
 */
export class KeyQueue {
  readonly #tails = new Map<string, Promise<void>>()

  /** Runs `task` once every earlier task for `key` has settled; its result is the task's. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    const result = previous === undefined ? task() : previous.then(task)
    const tail = result.then(settled, settled)
    this.#tails.set(key, tail)
    // The map holds only keys with a task in flight: it does not grow with the sessions seen.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }
}

function settled(): void {}
