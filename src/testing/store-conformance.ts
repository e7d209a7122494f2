import type { SessionStore } from '../core/store.js'
import { describeListingCases } from './listing-cases.js'
import { describeMiddlewareCases } from './middleware-cases.js'
import { describeOwnerIndexCases } from './owner-index-cases.js'
import { describeRecordCases } from './record-cases.js'
import { eachStoreUnderTest } from './each-store.js'
import { beforeEach, describe } from './runner.js'
import {
  suiteTitle,
  type ConformanceSuite,
  type StoreConformanceOptions,
  type StoreUnderTest,
} from './store-under-test.js'
import { describeValueCases } from './value-cases.js'

/**
 * The one conformance suite every `SessionStore` passes (DESIGN.md §6): create and collision,
 * expiry, compare-and-set (50 racing saves), delete, `deleteExpired`, `scan` of 10,000 records,
 * 1 MB and unicode values, the owner index (for a store with `listOwner`), an unreachable server,
 * and a session's lifecycle under the Hono middleware. `setup` runs before each test and
 * `cleanup` after it. Keys carry a random per-test prefix, so stores on a shared server do not
 * collide with other tests or runs. Call it at the top level of a test file, under vitest or
 * `bun test` (another runner: see the README, "Testing").
 * @example
 * // my-store.test.ts
 * import { describeStoreConformance } from 'typed-sessions/testing'
 * describeStoreConformance('MyStore', async () => ({ store: new MyStore(await connect()) }), {
 *   unreachable: () => new MyStore(clientForClosedPort()),
 * })
 */
export function describeStoreConformance(
  name: string,
  setup: () => Promise<StoreUnderTest> | StoreUnderTest,
  options: StoreConformanceOptions = {}
): void {
  const { skipReason } = options
  const title = suiteTitle(name, 'conformance', skipReason)

  describe.skipIf(skipReason !== undefined)(title, () => {
    const current = eachStoreUnderTest(name, setup)
    let prefix = ''
    const suite: ConformanceSuite = {
      store: (): SessionStore => current().store,
      underTest: current,
      key: (suffix) => `${prefix}:${suffix}`,
      prefix: () => prefix,
      options,
    }

    beforeEach(() => {
      prefix = `conformance-${crypto.randomUUID()}`
    })

    describeRecordCases(suite)
    describeListingCases(suite)
    describeValueCases(suite)
    describeOwnerIndexCases(suite)
    describeMiddlewareCases(suite)
  })
}
