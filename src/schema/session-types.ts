import type { $ZodCatch, $ZodDefault, $ZodPrefault, input, output } from 'zod/v4/core'
import type { SessionSchema } from './define-session.js'

// The types of a typed session's keys and values: what a read gives, what a write takes.

type ShapeOf<S extends SessionSchema> = S['_zod']['def']['shape']
/** The keys of a session schema. */
export type SessionKey<S extends SessionSchema> = Extract<keyof ShapeOf<S>, string>
/** The value type of one key (the schema's output). */
export type SessionValue<S extends SessionSchema, K extends SessionKey<S>> = output<ShapeOf<S>[K]>
/**
 * What `get` reads: the key's output type when its schema never yields `undefined` for an
 * absent value (`.default()`, `.prefault()`, `.catch()`), else that or `undefined`.
 */
export type SessionReadValue<
  S extends SessionSchema,
  K extends SessionKey<S>,
> = ShapeOf<S>[K] extends $ZodDefault | $ZodPrefault | $ZodCatch
  ? SessionValue<S, K>
  : undefined extends input<ShapeOf<S>[K]>
    ? SessionValue<S, K>
    : SessionValue<S, K> | undefined

/**
 * A value read from the session, read-only all the way down: values are handed out frozen (a
 * mutation would throw), so it does not compile. Change a value with `update` or `set`.
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends Date
    ? T
    : T extends ReadonlyMap<infer K, infer V>
      ? ReadonlyMap<K, DeepReadonly<V>>
      : T extends ReadonlySet<infer V>
        ? ReadonlySet<DeepReadonly<V>>
        : T extends object
          ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
          : T

/** The keys of a session whose value is a list: what `flash` appends to. */
export type FlashKey<S extends SessionSchema> = {
  [K in SessionKey<S>]: SessionValue<S, K> extends readonly unknown[] ? K : never
}[SessionKey<S>]

/** One message of a flash key. */
export type FlashMessage<S extends SessionSchema, K extends FlashKey<S>> =
  SessionValue<S, K> extends readonly (infer M)[] ? M : never

/** What `toObject()` returns: every key as `get` reads it, read-only. */
export type SessionSnapshot<S extends SessionSchema> = DeepReadonly<{
  [K in SessionKey<S>]: SessionReadValue<S, K>
}>

/** What the request says about the client: the device details of sessions per user. */
export interface ClientInfo {
  /** The `User-Agent` header, as sent. */
  readonly userAgent: string | undefined
  /** The client's IP address, as the middleware's `clientIp` option finds it. */
  readonly ip: string | undefined
}
