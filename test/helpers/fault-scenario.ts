import { expect } from 'vitest'
import { isSessionError } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import { CounterLoad } from './counter-load.js'
import { watchUnhandled, type RequestFunction } from './fault-app.js'

/** What a fault test hands `expectToSurviveFaults`. */
export interface FaultScenario {
  /** The store the app uses, read back at the end to check every visitor's session. */
  store: SessionStore
  /** How requests reach the app (`faultApp`): `app.request` or loopback HTTP. */
  request: RequestFunction
  /** The errors the app's `onError` recorded (`faultApp`). */
  errors: unknown[]
  /** Injects the faults while the load runs; resolves with how many it injected. */
  inject: () => Promise<number>
  /** How long the load runs, faults included. */
  loadMs: number
  /** The longest a request may take: the middleware's `storeTimeout` plus some slack. */
  deadlineMs: number
  /** How many visitors send requests at once. @default 30 */
  visitors?: number
  /**
   * The faults must fail some requests, so the failure path is exercised (a driver that
   * re-sends what a dead connection did not answer may hide every fault). @default false
   */
  expectFailures?: boolean
  /** How long the app may take to answer a whole round of visitors again. @default 5000 */
  recoveryMs?: number
}

/**
 * Runs a steady counter load while `inject` breaks the store, then checks what issue 7 asks of
 * an outage: every failed request was a `SessionError` `STORE_UNAVAILABLE` (with its `cause`)
 * that reached `app.onError`; no request hung; nothing escaped as an unhandled rejection; no
 * failed response set a cookie; the app answered every visitor again on its own once the faults
 * stopped; and every visitor's stored session is there, decodes, and counts what it was told.
 * @example const { load } = await expectToSurviveFaults({ store, request: app.request, ... })
 */
export async function expectToSurviveFaults(scenario: FaultScenario) {
  const { store, request, errors, inject, loadMs, deadlineMs, visitors = 30 } = scenario
  const watcher = watchUnhandled()
  try {
    const load = new CounterLoad(request, { visitors, deadlineMs })
    await load.open()
    const [injected] = await Promise.all([inject(), load.run(loadMs)])
    expect(injected, 'the test injected no fault').toBeGreaterThan(0)

    // Recovery: within the budget, one whole round of visitors is answered 200 again.
    const recoveryEnd = Date.now() + (scenario.recoveryMs ?? 5_000)
    let answered = 0
    while (answered < visitors && Date.now() < recoveryEnd) answered = await load.round()
    await load.settle()

    if (load.problems.length > 0) {
      const first = load.problems.slice(0, 5).join('; ')
      expect.fail(`${load.problems.length} answers went wrong, the first: ${first}`)
    }
    if (scenario.expectFailures === true) {
      expect(load.failures, 'the faults failed no request').toBeGreaterThan(0)
    }
    expect(answered, 'visitors answered 200 in the last round after the faults').toBe(visitors)
    expect(watcher.escaped).toStrictEqual([])
    expect(errors, 'errors that reached app.onError, one per failed request').toHaveLength(
      load.failures
    )
    for (const error of errors) {
      expect(isSessionError(error) && error.code, String(error)).toBe('STORE_UNAVAILABLE')
      expect((error as Error).cause, String(error)).toBeDefined()
    }
    await load.expectStoredCounters(store)
    return { load, injected }
  } finally {
    watcher.stop()
  }
}

/**
 * Runs `fault` every `everyMs` for `forMs` (first after `everyMs`, so the load is under way) and
 * resolves with the sum of what it returned: how many connections it killed.
 * @example inject: () => repeatedly(200, 2_000, () => killConnectionsOf(pool))
 */
export async function repeatedly(
  everyMs: number,
  forMs: number,
  fault: () => Promise<number>
): Promise<number> {
  const sleep = () => new Promise((resolve) => setTimeout(resolve, everyMs))
  const end = Date.now() + forMs
  let total = 0
  await sleep()
  while (Date.now() < end) {
    total += await fault()
    await sleep()
  }
  return total
}
