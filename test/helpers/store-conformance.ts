// The store conformance suite lives in the package (`typed-sessions/testing`, src/testing/); the
// store tests keep importing it from here.
export { describeStoreConformance } from '../../src/testing/store-conformance.js'
export { makeRecord } from '../../src/testing/store-under-test.js'
export type { StoreConformanceOptions, StoreUnderTest } from '../../src/testing/store-under-test.js'
