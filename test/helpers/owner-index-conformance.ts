// The owner-index cases of the conformance suite live in the package (src/testing/).
export { describeOwnerIndexCases } from '../../src/testing/owner-index-cases.js'
export type { ConformanceSuite as OwnerIndexSuite } from '../../src/testing/store-under-test.js'
