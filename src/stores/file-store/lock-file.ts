import { link, open, rename, stat, unlink } from 'node:fs/promises'
import { PRIVATE_FILE_MODE, codeOf } from './record-file.js'

/** How `acquireLockFile` waits and when it breaks a lock. */
export interface LockFileTimings {
  /** A lock file older than this (milliseconds) is taken as left by a crashed process. */
  staleMs: number
  /** How long to wait for the lock before giving up (milliseconds). */
  timeoutMs: number
}

/** A held lock: `release` removes the lock file if it is still the one this holder created. */
export interface HeldLock {
  release(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Takes the lock `path` by creating it exclusively (`wx`, O_EXCL: atomic on local file systems,
 * also between processes), waiting with short random pauses while another holder has it.
 * A lock file older than `staleMs` is broken: renamed away (atomic, so of several processes that
 * find it stale exactly one breaks it), then removed. Throws once `timeoutMs` has passed.
 */
export async function acquireLockFile(path: string, timings: LockFileTimings): Promise<HeldLock> {
  const deadline = Date.now() + timings.timeoutMs
  for (;;) {
    try {
      const handle = await open(path, 'wx', PRIVATE_FILE_MODE)
      const { ino } = await handle.stat()
      await handle.close()
      return { release: () => releaseLockFile(path, ino) }
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') throw error
    }
    await breakIfStale(path, timings.staleMs)
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timings.timeoutMs} ms waiting for the lock file ${path}, held by another process. If no process holds it, delete it.`
      )
    }
    await sleep(1 + Math.random() * 4)
  }
}

async function breakIfStale(path: string, staleMs: number): Promise<void> {
  let seen
  try {
    seen = await stat(path)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return
    throw error
  }
  if (Date.now() - seen.mtimeMs <= staleMs) return
  const aside = `${path}.${crypto.randomUUID()}.stale`
  try {
    await rename(path, aside)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return // another process broke it first
    throw error
  }
  // Between our stat and our rename another process may have broken the stale lock and taken
  // a fresh one; then we moved the fresh one aside: put it back (link fails if the path is taken).
  if ((await stat(aside)).ino !== seen.ino) await link(aside, path).catch(() => undefined)
  await unlink(aside)
}

async function releaseLockFile(path: string, ino: number): Promise<void> {
  try {
    // A holder that outlived `staleMs` may have lost its lock to another process: not ours to remove.
    if ((await stat(path)).ino === ino) await unlink(path)
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error
  }
}
