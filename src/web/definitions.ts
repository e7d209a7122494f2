import {
  defineSession,
  type SessionDefinition,
  type SessionSchema,
} from '../schema/define-session.js'
import { MemoryStore } from '../stores/memory-store.js'

const definitions = new WeakMap<SessionSchema, SessionDefinition>()
const defaultStores = new WeakMap<SessionDefinition, MemoryStore>()

/** The definition given, or one made (once per schema) from a plain `z.object`. */
export function definitionOf<S extends SessionSchema>(
  value: SessionDefinition<S> | S
): SessionDefinition<S> {
  if (typeof value === 'object' && value !== null && 'versions' in value) return value
  let definition = definitions.get(value as S)
  if (definition === undefined)
    definitions.set(value as S, (definition = defineSession(value as never)))
  return definition as SessionDefinition<S>
}

/**
 * Middlewares (and adapters) of one definition without a `store` share one: `/me` sees what
 * `/login` stored.
 */
export function defaultStoreOf(definition: SessionDefinition): MemoryStore {
  let store = defaultStores.get(definition)
  if (store === undefined) defaultStores.set(definition, (store = new MemoryStore()))
  return store
}

let warnedOfMemoryStore = false

/** Warns once per process when a MemoryStore keeps the sessions of a production app. */
export function warnOfMemoryStoreInProduction(): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  if (warnedOfMemoryStore || env?.NODE_ENV !== 'production') return
  warnedOfMemoryStore = true
  console.warn(
    'typed-sessions: sessions are kept in a MemoryStore, in this process only: they are lost on restart and not shared between processes. Pass a server store (e.g. RedisStore, PostgresStore) as `store` in production.'
  )
}
