import { afterEach, beforeEach } from './runner.js'
import type { StoreUnderTest } from './store-under-test.js'

/**
 * Runs `setup` before each test of the describe block it is called in, and the `cleanup` it
 * returned after the test; gives the running test's store (and hooks).
 */
export function eachStoreUnderTest(
  name: string,
  setup: () => Promise<StoreUnderTest> | StoreUnderTest
): () => StoreUnderTest {
  let underTest: StoreUnderTest | undefined
  beforeEach(async () => {
    underTest = await setup()
  })
  afterEach(async () => {
    await underTest?.cleanup?.()
    underTest = undefined
  })
  return () => {
    if (underTest === undefined) throw new Error(`the setup of ${name} has not run`)
    return underTest
  }
}
