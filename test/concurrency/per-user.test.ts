import { CachingStore, MemoryStore } from 'typed-sessions'
import { describePerUserConcurrency } from '../helpers/per-user-concurrency-suite.js'

// DESIGN.md §12 under races, on the stores with an owner index here; each server store's own
// test file runs the suite against its server.

describePerUserConcurrency('MemoryStore', () => ({ store: new MemoryStore() }))
describePerUserConcurrency('CachingStore(MemoryStore, MemoryStore)', () => ({
  store: new CachingStore(new MemoryStore(), new MemoryStore()),
}))
