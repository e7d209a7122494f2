/*
 * `typed-sessions/testing`: the store conformance suites, for authors of stores, and seeded
 * sessions, for an app's own tests. The suites run under vitest (an optional peer dependency,
 * loaded by this entry point only) or `bun test`; see the README, "Testing".
 */
export { describeStoreConformance } from './store-conformance.js'
export { makeRecord } from './store-under-test.js'
export type { StoreConformanceOptions, StoreUnderTest } from './store-under-test.js'
export type { CopyStoredValue } from './stored-value-copies.js'
export { describeConcurrency } from './concurrency-suite.js'
export type { ConcurrencyOptions } from './concurrency-suite.js'
export { describePerUserConcurrency } from './per-user-concurrency-suite.js'
export type { PerUserConcurrencyOptions } from './per-user-concurrency-suite.js'
export { seedLogin, seedSession } from './seed-session.js'
export type {
  LoginAuth,
  SeedData,
  SeededSession,
  SeedLoginOptions,
  SeedOptions,
  SeedSessionOptions,
  SessionOpener,
} from './seed-session.js'
