/** A promise with its resolve function, to hold a request at a point until a test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/**
 * Holds requests once they loaded the session, until `release` lets them all go on, or
 * `releaseOne(i)` only the i-th to arrive; `allArrived` resolves when `count` are held. Races are
 * staged with it, never left to timing.
 */
export function gate(count: number) {
  const all = deferred()
  const released = deferred()
  const turns: (() => void)[] = []
  let arrived = 0
  return {
    hold: async () => {
      if (++arrived === count) all.resolve()
      const turn = deferred()
      turns.push(turn.resolve)
      await Promise.race([released.promise, turn.promise])
    },
    allArrived: all.promise,
    release: () => released.resolve(),
    releaseOne: (index: number) => turns[index]!(),
  }
}
