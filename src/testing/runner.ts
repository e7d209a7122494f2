/*
 * The one module of typed-sessions that imports a test runner: only `typed-sessions/testing`
 * loads it, so vitest is an optional peer dependency and every other entry point runs without
 * it. Bun's test runner answers an import of `vitest` itself (with `bun:test`); another runner
 * needs `vitest` resolved to a module with these five functions (README, "Testing").
 */
export { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** The part of a test's context the suites use: vitest's (and node:test's) `skip`. */
interface SkippableContext {
  skip?: (note?: string) => void
}

/** Skips the running test, saying why; the body returns right after calling it. */
export type Skip = (note: string) => void

/**
 * A test body that can skip itself at run time, saying why: vitest's `context.skip(note)` ends
 * the test there. A runner without one (Bun) logs the note, and the test, which returns right
 * after, is reported as passed.
 */
export function skippable(
  body: (skip: Skip) => Promise<void>
): (...args: unknown[]) => Promise<void> {
  // Rest parameters, so the function declares none: Bun reads a declared parameter as a `done`
  // callback and waits for it, where vitest passes the test's context.
  return (...args) =>
    body((note) => {
      const skip = (args[0] as SkippableContext | undefined)?.skip
      if (typeof skip === 'function') return skip.call(args[0], note)
      console.info(`skipped: ${note}`)
    })
}
