import type { StoreCalls } from './counting-store.js'

/** Messages between the runner and a server child over the IPC channel. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  /** `unavailable`: the variant's store server cannot be reached (n/a rather than a failure). */
  | { type: 'failed'; message: string; unavailable: boolean }
  | { type: 'cpu'; user: number; system: number }
  /** The store calls made so far (null when the store is not counted). */
  | { type: 'store-calls'; calls: StoreCalls | null }

export type ParentMessage = { type: 'cpu' } | { type: 'store-calls' }
