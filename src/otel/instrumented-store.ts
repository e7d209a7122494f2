import {
  SpanKind,
  context,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api'
import type { SessionRecord, SessionStore } from '../core/store.js'
import {
  DB_COLLECTION_NAME,
  DB_OPERATION_NAME,
  DB_RESPONSE_RETURNED_ROWS,
  DB_SYSTEM_NAME,
  STORE_APPLIED,
  STORE_COMPARE_AND_SET,
  dbSystemOf,
} from './attributes.js'
import type { StoreCall, StoreCalls } from './store-calls.js'

/** Options of `SessionTelemetry.instrument`. */
export interface InstrumentOptions {
  /**
   * `db.system.name` of the spans and of `db.client.operation.duration`.
   * @default from the store's class: `postgresql`, `redis`, `mysql`, `sqlite`, `mongodb`,
   * `aws.dynamodb`, … for the bundled stores (say `mariadb` here for a MySqlStore on MariaDB)
   */
  system?: string
  /**
   * `db.collection.name`: the table, key prefix or collection the store keeps sessions in. Span
   * names are `{operation} {collection}` with it, `{operation}` without.
   * @default undefined (not set)
   */
  collection?: string
}

/** The store methods that get a span each: every call the engine, the CLI and migrations make. */
const OPERATIONS = ['create', 'load', 'save', 'delete', 'deleteExpired', 'scan'] as const
type Operation = (typeof OPERATIONS)[number]

interface Traced {
  readonly name: string
  readonly attributes: Attributes
}

/**
 * `store` behind a proxy whose store calls each get a span (a child of the active one, and the
 * active one during the call, so a driver's own instrumentation nests under it; an in-process
 * store's calls run nothing that could) and a
 * `db.client.operation.duration` measurement. Everything else is the store's own: its other
 * methods and getters run on the store itself, and `instanceof` sees its class.
 */
export function instrumentedStore<T extends SessionStore>(
  store: T,
  tracer: Tracer,
  calls: StoreCalls,
  options: InstrumentOptions = {}
): T {
  // An in-process store (the MemoryStore) makes no client call: the conventions' INTERNAL kind.
  const kind = store.inProcess === true ? SpanKind.INTERNAL : SpanKind.CLIENT
  const base: Attributes = { [DB_SYSTEM_NAME]: options.system ?? dbSystemOf(store) }
  if (options.collection !== undefined) base[DB_COLLECTION_NAME] = options.collection
  const traced = {} as Record<Operation, Traced>
  for (const operation of OPERATIONS) {
    const name = options.collection === undefined ? operation : `${operation} ${options.collection}`
    traced[operation] = { name, attributes: { ...base, [DB_OPERATION_NAME]: operation } }
  }
  const compareAndSet = { ...traced.save.attributes, [STORE_COMPARE_AND_SET]: true }
  // Nothing runs under an in-process store's call that could trace itself: no context for it.
  const nests = store.inProcess !== true

  function observe<R>(
    operation: 'create' | 'load' | 'save' | 'delete' | 'deleteExpired',
    run: () => Promise<R>,
    spanAttributes: Attributes | undefined,
    describe?: (result: R, span: Span) => void
  ): Promise<R> {
    const { name, attributes } = traced[operation]
    const started = performance.now()
    const span = tracer.startSpan(name, {
      kind,
      attributes: spanAttributes ?? attributes,
      startTime: started,
    })
    const call = calls.start(operation, started, span, attributes)
    let pending: Promise<R>
    try {
      // Only a recording span is worth a context of its own (it allocates one per call).
      const active = nests && span.isRecording() ? trace.setSpan(context.active(), span) : undefined
      pending = Promise.resolve(active === undefined ? run() : context.with(active, run))
    } catch (error) {
      pending = Promise.reject(error)
    }
    return pending.then(
      (result) => {
        if (!call.ended) describe?.(result, span)
        calls.settle(call)
        return result
      },
      (error: unknown) => {
        calls.fail(call, error)
        throw error
      }
    )
  }

  // Each passes its arguments on as they came: `save(record)` is not `save(record, undefined)`.
  const wrappers: Record<Operation, (...args: never[]) => unknown> = {
    create: (...args: Parameters<SessionStore['create']>) =>
      observe('create', () => call(store, 'create', args), undefined, applied),
    load: (...args: Parameters<SessionStore['load']>) =>
      observe('load', () => call<SessionRecord | undefined>(store, 'load', args), undefined, found),
    save: (...args: Parameters<SessionStore['save']>) =>
      observe(
        'save',
        () => call(store, 'save', args),
        args[1] === undefined ? undefined : compareAndSet,
        applied
      ),
    delete: (...args: Parameters<SessionStore['delete']>) =>
      observe('delete', () => call(store, 'delete', args), undefined),
    deleteExpired: () =>
      observe('deleteExpired', () => call(store, 'deleteExpired', []), undefined),
    scan: (...args: Parameters<NonNullable<SessionStore['scan']>>) =>
      scanned(store, tracer, kind, traced.scan, calls, args),
  }
  const bound = new Map<PropertyKey, { source: unknown; bound: unknown }>()
  return new Proxy(store, {
    get(target, property) {
      // Read on the store itself, so that getters and methods with private fields work.
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      if (Object.hasOwn(wrappers, property)) return wrappers[property as Operation]
      const cached = bound.get(property)
      if (cached?.source === value) return cached.bound
      const method = (value as (...args: unknown[]) => unknown).bind(target)
      bound.set(property, { source: value, bound: method })
      return method
    },
  })
}

/** Calls the store's current `method` on the store, as the engine would have. */
function call<R>(store: SessionStore, method: Operation, args: unknown[]): Promise<R> {
  const fn = store[method] as (...args: unknown[]) => Promise<R>
  return fn.apply(store, args)
}

function applied(result: unknown, span: Span): void {
  span.setAttribute(STORE_APPLIED, result === true)
}

function found(result: SessionRecord | undefined, span: Span): void {
  span.setAttribute(DB_RESPONSE_RETURNED_ROWS, result === undefined ? 0 : 1)
}

/** A scan: one span from its start to the last record (or the consumer's early exit). */
async function* scanned(
  store: SessionStore,
  tracer: Tracer,
  kind: SpanKind,
  { name, attributes }: Traced,
  calls: StoreCalls,
  args: Parameters<NonNullable<SessionStore['scan']>>
): AsyncGenerator<SessionRecord, void, undefined> {
  const started = performance.now()
  const span = tracer.startSpan(name, { kind, attributes, startTime: started })
  const tracked: StoreCall = calls.start('scan', started, span, attributes)
  let rows = 0
  let failed = false
  try {
    for await (const record of store.scan!(...args)) {
      rows++
      yield record
    }
  } catch (error) {
    failed = true
    span.setAttribute(DB_RESPONSE_RETURNED_ROWS, rows)
    calls.fail(tracked, error)
    throw error
  } finally {
    // Also when the consumer stops early (`break`): the scan ends there.
    if (!failed) {
      span.setAttribute(DB_RESPONSE_RETURNED_ROWS, rows)
      calls.settle(tracked)
    }
  }
}
