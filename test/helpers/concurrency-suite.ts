// The concurrency suite lives in the package (`typed-sessions/testing`, src/testing/); the store
// and concurrency tests keep importing it, its app and its gate from here.
export { describeConcurrency } from '../../src/testing/concurrency-suite.js'
export { gate } from '../../src/testing/gate.js'
export { postAll, raceApp, raceSession, startSession } from '../../src/testing/race-app.js'
