import { AsyncLocalStorage } from 'node:async_hooks'
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api'

/**
 * The active context per async call chain, as `@opentelemetry/context-async-hooks` keeps it (not
 * installed here): what makes a span started in a store call a child of the request's span.
 */
export class AsyncLocalContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>()

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(active, () => fn.apply(thisArg, args))
  }

  bind<T>(active: Context, target: T): T {
    if (typeof target !== 'function') return target
    const fn = target as (...args: unknown[]) => unknown
    return ((...args: unknown[]) => this.with(active, fn, undefined, ...args)) as T
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.#storage.disable()
    return this
  }
}
