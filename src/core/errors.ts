/** Every failure typed-sessions raises carries one of these literal codes. */
export type SessionErrorCode =
  | 'INVALID_VALUE'
  | 'INVALID_STORED_DATA'
  | 'UNKNOWN_KEY'
  | 'STORE_UNAVAILABLE'
  | 'CONFLICT'
  | 'ID_COLLISION'
  | 'CONFIG'
  | 'UNSUPPORTED'
  | 'RESPONSE_STARTED'
  | 'COOKIE_TOO_LARGE'
  | 'SESSION_LIMIT'

const brand = Symbol.for('typed-sessions.SessionError')

/**
 * The one error class of typed-sessions: a literal `code`, a message that says what to do, and
 * `cause` when another failure is wrapped.
 */
export class SessionError extends Error {
  override readonly name = 'SessionError'
  readonly code: SessionErrorCode
  readonly [brand] = true

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/**
 * True for a `SessionError`, also one from another copy of the package or another realm.
 * @example if (isSessionError(e) && e.code === 'STORE_UNAVAILABLE') return c.text('try later', 503)
 */
export function isSessionError(value: unknown): value is SessionError {
  return (
    typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true
  )
}

/**
 * Runs one store operation, its failure wrapped by `storeFailure`. With `timeoutMs` (what is left
 * of the request's `storeTimeout`), an operation that has not settled by then fails too, its
 * `cause` an error named `TimeoutError`, and with none left it is not started at all: no request
 * waits on a store forever.
 */
export function attemptStore<T>(
  operation: string,
  run: () => Promise<T>,
  timeoutMs?: number
): Promise<T> {
  if (timeoutMs !== undefined && timeoutMs <= 0) {
    const message = `The store's ${operation} was not started: the request had spent its storeTimeout on the store.`
    return Promise.reject(storeFailure(operation, timeoutError(message)))
  }
  let pending: Promise<T>
  try {
    pending = Promise.resolve(run())
  } catch (cause) {
    return Promise.reject(storeFailure(operation, cause))
  }
  if (timeoutMs !== undefined) pending = settleWithin(pending, timeoutMs, operation)
  return pending.catch((cause: unknown) => {
    throw storeFailure(operation, cause)
  })
}

function settleWithin<T>(pending: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    // Settling after the timeout changes nothing, and a late rejection is handled here.
    pending.then(
      (value) => {
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        reject(error)
      }
    )
    // An in-process store (the MemoryStore) settles within a few microtasks: only a call still
    // pending after them gets a timer, which spares the common case a setTimeout/clearTimeout
    // pair (a measurable share of a returning request). The deadline moves by microseconds.
    void Promise.resolve()
      .then(() => undefined)
      .then(() => undefined)
      .then(() => {
        if (settled) return
        timer = setTimeout(() => {
          const ms = Math.ceil(timeoutMs)
          reject(
            timeoutError(
              `The store's ${operation} did not settle within ${ms} ms, what was left of the request's storeTimeout.`
            )
          )
        }, timeoutMs)
      })
  })
}

function timeoutError(message: string): Error {
  const error = new Error(message)
  error.name = 'TimeoutError'
  return error
}

/**
 * Wraps a store failure as `STORE_UNAVAILABLE`, keeping a `SessionError` as it is. For a write,
 * the message says what may have happened to it: a write that timed out can still land once the
 * store recovers (the engine cannot call it back), one that threw did not, unless the store
 * committed it before its reply was lost.
 */
export function storeFailure(operation: string, cause: unknown): SessionError {
  if (isSessionError(cause)) return cause
  return new SessionError(
    'STORE_UNAVAILABLE',
    `The session store failed during ${operation}; check that it is reachable and healthy (see \`cause\`).${writeOutcome(operation, cause)}`,
    { cause }
  )
}

function writeOutcome(operation: string, cause: unknown): string {
  if (operation !== 'create' && operation !== 'save') return ''
  if ((cause as { name?: unknown } | null)?.name === 'TimeoutError') {
    return ' The session may or may not have been saved; no cookie was sent.'
  }
  return ' The session was not saved, unless the store committed it before its reply was lost; no cookie was sent.'
}

/**
 * What a store throws from `load` for a record it holds but cannot decode (truncated JSON, a
 * field of the wrong type): stored data that does not fit, which the engine hands to the
 * definition's `onInvalid` policy (by default the request sees an empty session), never a 5xx.
 */
export function corruptRecord(key: string, cause?: unknown): SessionError {
  return new SessionError(
    'INVALID_STORED_DATA',
    `The stored record ${key} cannot be decoded; it is treated as stored data that does not fit (see onInvalid).`,
    { cause }
  )
}

/**
 * What a store throws from `create` or `save` for a record it can never hold (a value its
 * database refuses, a record larger than it accepts): the caller's error, not an outage, so
 * retrying cannot help. `reason` says what was refused, as a sentence that ends in a fix.
 */
export function unstorableValue(reason: string, cause?: unknown): SessionError {
  return new SessionError('INVALID_VALUE', `The session store refused the record: ${reason}`, {
    cause,
  })
}
