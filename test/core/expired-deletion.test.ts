import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isSessionError } from '../../src/core/errors.js'
import type { SessionError } from '../../src/core/errors.js'
import { startExpiredDeletion } from '../../src/core/expired-deletion.js'
import type { ExpiredDeletionFailure } from '../../src/core/expired-deletion.js'
import { MemoryStore } from '../../src/stores/memory-store.js'
import { makeRecord } from '../helpers/store-conformance.js'
import { TestStore, deferred } from '../helpers/stores.js'

/** A MemoryStore whose deleteExpired calls are timed and can be made to fail or to hang. */
class TimedStore extends MemoryStore {
  /** `Date.now()` at the start of each deleteExpired call (fake timers move it). */
  readonly runs: number[] = []
  /** How many of the next calls fail. */
  failures = 0
  /** When set, each call waits for it before answering. */
  hold: Promise<void> | undefined

  override async deleteExpired(): Promise<number> {
    this.runs.push(Date.now())
    if (this.hold !== undefined) await this.hold
    if (this.failures > 0) {
      this.failures--
      throw new Error('database down')
    }
    return super.deleteExpired()
  }

  /** The gaps between consecutive runs. */
  get gaps(): number[] {
    return this.runs.slice(1).map((at, i) => at - this.runs[i]!)
  }
}

function errorOf(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  return undefined
}

describe('startExpiredDeletion', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('runs at once, then every intervalMs, deleting the expired records', async () => {
    const clock = { now: 1_000_000 }
    const store = new MemoryStore({ now: () => clock.now })
    const spy = vi.spyOn(store, 'deleteExpired')
    await store.create(makeRecord('short', { expiresAt: clock.now + 500 }))
    await store.create(makeRecord('long', { expiresAt: clock.now + 5_000 }))
    const stop = startExpiredDeletion(store, { intervalMs: 1_000 })

    await vi.advanceTimersByTimeAsync(0)
    expect(spy).toHaveBeenCalledTimes(1)
    expect(store.size).toBe(2)

    clock.now += 1_000 // 'short' has expired
    await vi.advanceTimersByTimeAsync(1_000)
    expect(spy).toHaveBeenCalledTimes(2)
    expect(store.size).toBe(1)
    expect(await store.load('long')).toBeDefined()

    await vi.advanceTimersByTimeAsync(3_000)
    expect(spy).toHaveBeenCalledTimes(5)
    await stop()
  })

  it('keeps running after failures, reporting each one and backing off exponentially', async () => {
    const store = new TimedStore()
    store.failures = 3
    const reports: [SessionError, ExpiredDeletionFailure][] = []
    const stop = startExpiredDeletion(store, {
      intervalMs: 100,
      onError: (error, failure) => reports.push([error, failure]),
    })

    await vi.advanceTimersByTimeAsync(2_000)
    await stop()
    // Fail, fail, fail, succeed, then the normal interval again.
    expect(store.gaps.slice(0, 5)).toStrictEqual([200, 400, 800, 100, 100])
    expect(reports.map(([, failure]) => failure)).toStrictEqual([
      { consecutiveFailures: 1, retryInMs: 200 },
      { consecutiveFailures: 2, retryInMs: 400 },
      { consecutiveFailures: 3, retryInMs: 800 },
    ])
    for (const [error] of reports) {
      expect(isSessionError(error) && error.code).toBe('STORE_UNAVAILABLE')
      expect((error.cause as Error).message).toBe('database down')
    }
  })

  it('caps the backoff at 10 × intervalMs', async () => {
    const store = new TimedStore()
    store.failures = Number.POSITIVE_INFINITY
    const stop = startExpiredDeletion(store, { intervalMs: 100, onError: () => {} })

    await vi.advanceTimersByTimeAsync(10_000)
    await stop()
    expect(store.gaps.slice(0, 6)).toStrictEqual([200, 400, 800, 1_000, 1_000, 1_000])
  })

  it('logs only the first failure of a streak by default', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const store = new TimedStore()
    store.failures = 3
    const stop = startExpiredDeletion(store, { intervalMs: 100 })

    await vi.advanceTimersByTimeAsync(1_500) // three failures, then successes
    expect(log).toHaveBeenCalledTimes(1)
    store.failures = 1
    await vi.advanceTimersByTimeAsync(1_000)
    expect(log).toHaveBeenCalledTimes(2)
    await stop()
  })

  it('stop() prevents any further run', async () => {
    const store = new TimedStore()
    const stop = startExpiredDeletion(store, { intervalMs: 100 })
    await vi.advanceTimersByTimeAsync(250)
    expect(store.runs).toHaveLength(3)

    await stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(store.runs).toHaveLength(3)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never overlaps runs, and stop() waits for the run in flight', async () => {
    const store = new TimedStore()
    const slow = deferred()
    store.hold = slow.promise
    const stop = startExpiredDeletion(store, { intervalMs: 100 })

    await vi.advanceTimersByTimeAsync(1_000) // ten intervals while the first run hangs
    expect(store.runs).toHaveLength(1)
    store.hold = undefined
    slow.resolve()
    await vi.advanceTimersByTimeAsync(0)
    expect(store.runs).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(100) // the next run starts intervalMs after the end
    expect(store.runs).toHaveLength(2)

    const hung = deferred()
    store.hold = hung.promise
    await vi.advanceTimersByTimeAsync(100)
    expect(store.runs).toHaveLength(3)
    let stopped = false
    const stopping = stop().then(() => (stopped = true))
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(false)
    hung.resolve()
    await stopping
    await vi.advanceTimersByTimeAsync(1_000)
    expect(store.runs).toHaveLength(3)
  })

  it('throws UNSUPPORTED for a store without deleteExpired, such as one with a native TTL', () => {
    const error = errorOf(() => startExpiredDeletion(new TestStore()))
    expect(isSessionError(error) && error.code).toBe('UNSUPPORTED')
    expect((error as Error).message).toMatch(/native TTL/)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects an intervalMs that is not a usable delay', () => {
    for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      const error = errorOf(() => startExpiredDeletion(new MemoryStore(), { intervalMs }))
      expect(isSessionError(error) && error.code, String(intervalMs)).toBe('CONFIG')
    }
  })
})

describe('startExpiredDeletion timer', () => {
  it('does not keep a Node process alive', async () => {
    const moduleUrl = new URL('../../src/core/expired-deletion.ts', import.meta.url).href
    // The store logs each run; a short ref'd timer keeps the process up long enough for the first
    // run, after which only the unref'd 60 s timer is pending.
    const script = `
      const { startExpiredDeletion } = await import(${JSON.stringify(moduleUrl)})
      const store = {
        create: async () => true, load: async () => undefined, save: async () => true,
        delete: async () => {},
        deleteExpired: async () => (console.log('ran'), 0),
      }
      startExpiredDeletion(store, { intervalMs: 60_000 })
      setTimeout(() => console.log('done'), 200)
    `
    const started = Date.now()
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 15_000 },
          (_error, out) => resolve({ code: child.exitCode, stdout: out })
        )
      }
    )
    expect(stdout.split('\n').filter(Boolean)).toStrictEqual(['ran', 'done'])
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(15_000)
  }, 20_000)
})
