// The per-user concurrency suite lives in the package (`typed-sessions/testing`, src/testing/).
export { describePerUserConcurrency } from '../../src/testing/per-user-concurrency-suite.js'
