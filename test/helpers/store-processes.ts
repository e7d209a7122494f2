import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A store that a child process opens on a location the parent shares with it (a directory, a file). */
export type ProcessStoreKind = 'file' | 'lmdb'

/** What one child process does once every child is ready. */
export interface ProcessTask {
  /**
   * `compare-and-set`: one conditional save from version 0 to 1 per key, with `{ writer }` as data.
   * `create`: one create per key, with `{ writer }` as data.
   * `increment`: load, add 1 to `data.count` and save with compare-and-set, retrying each conflict,
   * until `increments` saves succeeded on `keys[0]`.
   */
  task: 'compare-and-set' | 'create' | 'increment'
  keys: string[]
  increments?: number
}

/** The message a child receives: which store to open where, and its task. */
export interface ChildOrder extends ProcessTask {
  kind: ProcessStoreKind
  location: string
  writer: number
}

const CHILD = fileURLToPath(new URL('./store-process-child.ts', import.meta.url))

/**
 * Runs one task per child process, each with its own store over the same `location`, all
 * released together once every child has opened its store (so their writes overlap), and
 * returns each child's results (one per key; for `increment`, one `'conflict'` per retry).
 * Separate processes, not threads: the locks under test (lock files, LMDB's lock table) are
 * between processes.
 */
export async function runInProcesses(
  kind: ProcessStoreKind,
  location: string,
  tasks: ProcessTask[]
): Promise<unknown[][]> {
  const children = tasks.map((task, writer) => {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
    const order: ChildOrder = { ...task, kind, location, writer }
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', (message: { ready?: boolean; error?: string }) => {
        if (message.ready === true) resolve()
        else reject(new Error(`child ${writer} could not start: ${message.error}`))
      })
      child.once('error', reject)
    })
    const done = ready.then(
      () =>
        new Promise<unknown[]>((resolve, reject) => {
          child.once('message', (message: { results?: unknown[]; error?: string }) => {
            if (message.results !== undefined) resolve(message.results)
            else reject(new Error(`child ${writer} failed: ${message.error}`))
          })
          child.once('exit', (code) => reject(new Error(`child ${writer} exited with ${code}`)))
        })
    )
    child.send(order)
    return { child, ready, done }
  })
  try {
    await Promise.all(children.map(({ ready }) => ready))
    for (const { child } of children) child.send('go')
    return await Promise.all(children.map(({ done }) => done))
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill()
  }
}
