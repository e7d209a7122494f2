// dynalite ships no types: the part of it the tests use.
declare module 'dynalite' {
  import type { Server } from 'node:http'

  interface DynaliteOptions {
    createTableMs?: number
    deleteTableMs?: number
    updateTableMs?: number
    maxItemSizeKb?: number
    path?: string
  }

  /** An HTTP server speaking DynamoDB's API, not yet listening. */
  export default function dynalite(options?: DynaliteOptions): Server
}
