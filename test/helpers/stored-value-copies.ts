// The copied-value case of the conformance suite lives in the package (src/testing/).
export { expectCopiedValueStaysUnderItsKey } from '../../src/testing/stored-value-copies.js'
export type { CopyStoredValue } from '../../src/testing/stored-value-copies.js'
