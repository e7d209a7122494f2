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

/**
 * Skips the running test, saying why, where the runner can at run time: vitest's
 * `context.skip(note)` ends the test there. A runner without one (Bun passes a `done` callback)
 * logs the note, and the test, which returns right after, is reported as passed.
 */
export function skipTest(context: unknown, note: string): void {
  const skip = (context as SkippableContext | undefined)?.skip
  if (typeof skip === 'function') return skip.call(context, note)
  console.info(`skipped: ${note}`)
}
