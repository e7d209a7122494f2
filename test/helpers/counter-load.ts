import { expect } from 'vitest'
import { recordKeyOf } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import { counterSession } from '../../schemas/counter.js'
import type { RequestFunction } from './fault-app.js'
import { setCookies } from './http.js'
import { idOfCookie } from './stores.js'

/** One simulated visitor: its own session cookie, and what the app answered it. */
interface Visitor {
  index: number
  /** The signed cookie value the visitor got on its first request; it never changes. */
  cookie: string
  successes: number
  failures: number
  /** Stopped after a request that outlived the deadline. */
  stuck: boolean
}

/** Options of `CounterLoad`. */
export interface CounterLoadOptions {
  /** How many visitors send requests at once, each with its own session. @default 30 */
  visitors?: number
  /** A request that takes longer is a hang: counted, and its visitor stops. */
  deadlineMs: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A steady load on the counter app of `faultApp`: each visitor sends `POST /increment` with its
 * own cookie, one request after the other, and checks every answer as it comes: a 200 carries
 * the cookie and a counter that counts this request; a failure is a 503 without `Set-Cookie`.
 * Anything else lands in `problems`, so a test asserts `problems` is empty and reads why not.
 */
export class CounterLoad {
  readonly problems: string[] = []
  readonly #request: RequestFunction
  readonly #options: Required<CounterLoadOptions>
  readonly #visitors: Visitor[] = []
  /** Requests that outlived the deadline, awaited (bounded) by `settle`. */
  readonly #late = new Set<Promise<unknown>>()
  #slowestMs = 0

  constructor(request: RequestFunction, options: CounterLoadOptions) {
    this.#request = request
    this.#options = { visitors: 30, ...options }
  }

  /** Each visitor's first request, while the store is healthy: it must create the session. */
  async open(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.#options.visitors }, async (_, index) => {
        const response = await this.#request('/increment', { method: 'POST' })
        const cookie = setCookies(response).find((each) => each.name === 'id')?.value
        if (response.status !== 200 || cookie === undefined) {
          throw new Error(`visitor ${index}: the first request got ${response.status}, no session`)
        }
        expect(await response.text()).toBe('1')
        this.#visitors.push({ index, cookie, successes: 1, failures: 0, stuck: false })
      })
    )
  }

  /** Every visitor sends requests back to back for `durationMs`. */
  async run(durationMs: number): Promise<void> {
    const end = Date.now() + durationMs
    await Promise.all(
      this.#visitors.map(async (visitor) => {
        while (Date.now() < end && !visitor.stuck) {
          await this.#send(visitor)
          // A failure is answered at once; a short pause keeps a failing visitor from spinning.
          if (visitor.failures > 0) await sleep(5)
        }
      })
    )
  }

  /** One request from every visitor at once; how many were answered 200. */
  async round(): Promise<number> {
    const before = this.successes
    await Promise.all(this.#visitors.filter((v) => !v.stuck).map((v) => this.#send(v)))
    return this.successes - before
  }

  /** Requests answered 200, each visitor's first included. */
  get successes(): number {
    return this.#visitors.reduce((sum, visitor) => sum + visitor.successes, 0)
  }

  /** Requests answered with an error (503 from `faultApp`'s onError, or worse). */
  get failures(): number {
    return this.#visitors.reduce((sum, visitor) => sum + visitor.failures, 0)
  }

  /** Requests that outlived the deadline. */
  get hung(): number {
    return this.#visitors.filter((visitor) => visitor.stuck).length
  }

  /** The longest time a request took, in milliseconds. */
  get slowestMs(): number {
    return this.#slowestMs
  }

  /** Waits (at most `ms`) for requests that outlived their deadline, so none outlives the test. */
  async settle(ms = 5_000): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#late]), sleep(ms)])
  }

  /**
   * Every visitor's record is in `store`, decodes as a counter session, and counts at least its
   * successes and at most its successes and failures: a failed request whose save committed
   * before its reply was lost (a killed connection, a timeout) counts in the store, yet was
   * rightly reported as a failure, since the app could not know.
   */
  async expectStoredCounters(store: SessionStore): Promise<void> {
    for (const visitor of this.#visitors) {
      const record = await store.load(recordKeyOf(idOfCookie(visitor.cookie)))
      const name = `visitor ${visitor.index}`
      expect(record, `${name}: its session is gone`).toBeDefined()
      expect(record?.schemaVersion, name).toBe(counterSession.version)
      expect(Object.keys(record?.data ?? {}), name).toStrictEqual(['counter'])
      const counter = record?.data['counter']
      expect(Number.isInteger(counter), `${name}: counter ${counter}`).toBe(true)
      expect(counter, name).toBeGreaterThanOrEqual(visitor.successes)
      expect(counter, name).toBeLessThanOrEqual(visitor.successes + visitor.failures)
    }
  }

  async #send(visitor: Visitor): Promise<void> {
    const started = Date.now()
    const request = this.#request('/increment', {
      method: 'POST',
      headers: { Cookie: `id=${visitor.cookie}` },
    })
      .then(async (response) => ({ response, body: await response.text() }))
      // A request that gets no HTTP answer at all (a reset connection) is a problem to report
      // with its reason, not an exception that hides the other visitors' results.
      .catch((error: unknown) => ({ error }))
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.#options.deadlineMs, undefined)
    })
    const answer = await Promise.race([request, deadline])
    clearTimeout(timer)
    this.#slowestMs = Math.max(this.#slowestMs, Date.now() - started)
    if (answer === undefined) {
      visitor.stuck = true
      this.#late.add(request.catch(() => undefined))
      this.problems.push(
        `visitor ${visitor.index}: no answer within ${this.#options.deadlineMs} ms`
      )
      return
    }
    if ('error' in answer) {
      visitor.failures++ // its save may have committed: it widens the range, as a failure does
      const { message, cause } = answer.error as Error & { cause?: { code?: string } }
      this.problems.push(
        `visitor ${visitor.index}: no HTTP answer: ${message} ${cause?.code ?? ''}`
      )
      return
    }
    this.#check(visitor, answer.response, answer.body)
  }

  #check(visitor: Visitor, response: Response, body: string): void {
    const name = `visitor ${visitor.index}`
    const cookies = setCookies(response).filter((cookie) => cookie.name === 'id')
    if (response.status === 200) {
      visitor.successes++
      if (cookies.length !== 1 || cookies[0]?.value !== visitor.cookie) {
        this.problems.push(`${name}: a 200 with Set-Cookie ${JSON.stringify(cookies)}`)
      }
      // The new counter counts every success so far, and at most the failures whose save
      // committed anyway: never a request twice.
      const counter = Number(body)
      if (counter < visitor.successes || counter > visitor.successes + visitor.failures) {
        this.problems.push(
          `${name}: counter ${body} after ${visitor.successes} successes and ${visitor.failures} failures`
        )
      }
    } else {
      visitor.failures++
      if (response.status !== 503) this.problems.push(`${name}: ${response.status} ${body}`)
      if (cookies.length > 0) this.problems.push(`${name}: a ${response.status} set a cookie`)
    }
  }
}
