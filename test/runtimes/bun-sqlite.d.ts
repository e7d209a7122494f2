// The part of Bun's `bun:sqlite` module the Bun runner uses; bun-types is not installed, so that
// its globals do not clash with the DOM and Node types the rest of the project checks against.
declare module 'bun:sqlite' {
  export class Database {
    constructor(path: string)
    prepare(source: string): {
      run(...params: unknown[]): { changes: number }
      get(...params: unknown[]): unknown
      all(...params: unknown[]): unknown[]
    }
    exec(source: string): unknown
    query(source: string): unknown
    transaction(fn: () => void): () => void
  }
}
