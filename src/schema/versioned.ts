import type { input, output } from 'zod/v4/core'
import { SessionError } from '../core/errors.js'
import type { SessionSchema } from './define-session.js'

/** One version of a session schema, with the step that upgrades data from the version before. */
export interface SchemaVersion {
  readonly schema: SessionSchema
  /** From the previous schema's output to this schema's input; absent for version 1. */
  readonly up?: (previous: never) => unknown
}

/**
 * A session schema with its history: version 1 is the first schema, each `.migrate()` appends
 * the next. Versions are positions in the chain, so only ever append.
 * @example
 * versioned(z.object({ count: z.number() }))
 *   .migrate(z.object({ counter: z.number() }), (v1) => ({ counter: v1.count }))
 */
export class Versioned<S extends SessionSchema> {
  /** Every version, oldest first; `versions[k - 1]` is version k. */
  readonly versions: readonly SchemaVersion[]

  constructor(versions: readonly SchemaVersion[]) {
    for (const [index, version] of versions.entries()) checkObjectSchema(version.schema, index + 1)
    this.versions = Object.freeze([...versions])
  }

  /** The current (last) schema. */
  get schema(): S {
    return this.versions[this.versions.length - 1]!.schema as S
  }

  /**
   * Appends the next version. `up` receives data parsed by the current last schema and returns
   * the input of `next`; both are typed, so a step that returns the wrong shape, or reads a field
   * the previous schema does not have, does not compile.
   *
   * Prefer the two-step form `.migrate(next).up((previous) => ...)`: there `next` alone fixes
   * the types, so literals in what `up` returns (`role: 'customer'` for a `z.enum`, `['x']`, a
   * conditional) keep their literal types without `as const`.
   */
  migrate<N extends SessionSchema>(next: N): MigrationStep<S, N>
  migrate<N extends SessionSchema>(next: N, up: (previous: output<S>) => input<N>): Versioned<N>
  migrate<N extends SessionSchema>(
    next: N,
    up?: (previous: output<S>) => input<N>
  ): Versioned<N> | MigrationStep<S, N> {
    if (up === undefined) return new MigrationStep<S, N>(this.versions, next)
    return appendVersion<N>(this.versions, next, up)
  }
}

/** The `up` half of `.migrate(next).up(fn)`: `next` is known, so `fn`'s result is checked against it. */
export class MigrationStep<S extends SessionSchema, N extends SessionSchema> {
  readonly #versions: readonly SchemaVersion[]
  readonly #next: N

  constructor(versions: readonly SchemaVersion[], next: N) {
    this.#versions = versions
    this.#next = next
  }

  /** The step from the previous schema's data to the next schema's input. */
  up(fn: (previous: output<S>) => input<N>): Versioned<N> {
    return appendVersion<N>(this.#versions, this.#next, fn)
  }
}

function appendVersion<N extends SessionSchema>(
  versions: readonly SchemaVersion[],
  next: N,
  up: unknown
): Versioned<N> {
  if (typeof up !== 'function') {
    throw new SessionError(
      'CONFIG',
      `.migrate(next, up) for version ${versions.length + 1} needs an up function from the previous schema's data to the next one's.`
    )
  }
  return new Versioned<N>([...versions, { schema: next, up: up as (previous: never) => unknown }])
}

/**
 * Starts a schema history with its version 1.
 * @example
 * export const appSession = defineSession(
 *   versioned(z.object({ count: z.number() }))
 *     .migrate(z.object({ counter: z.number() }), (v1) => ({ counter: v1.count }))
 * )
 */
export function versioned<S extends SessionSchema>(first: S): Versioned<S> {
  return new Versioned<S>([{ schema: first }])
}

/** Throws `CONFIG` unless `schema` is a `z.object`. */
export function checkObjectSchema(schema: unknown, version?: number): void {
  const type = (schema as SessionSchema | undefined)?._zod?.def?.type
  if (type !== 'object') {
    const which = version === undefined ? 'defineSession()' : `Version ${version} of versioned()`
    throw new SessionError(
      'CONFIG',
      `${which} takes a z.object({ ... }) whose keys are the session keys; wrap your schema in z.object().`
    )
  }
}
