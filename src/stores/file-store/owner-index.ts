import { mkdir, readdir, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PRIVATE_FILE_MODE, codeOf, fileNameOf, removeFile } from './record-file.js'

/*
 * The FileStore's owner index (DESIGN.md §12): `owners/<hex SHA-256 of the owner>/<record file
 * name>`, one empty file per bound record, in the store's directory. A file system has no write
 * of two files at once, so the index is kept in an order, every step under the record's lock:
 *
 * - binding (a write that gives a record the owner O): O's entry is created before the record
 *   file is renamed into place; a write that replaces owner P removes P's entry after the rename;
 * - unbinding, delete, deleteExpired: the record file goes (or is renamed without P) first, P's
 *   entry after.
 *
 * So every record bound to O has its entry under O (a listing never misses one), and a crash
 * between the two steps can only leave an entry whose record is gone or bound elsewhere. Such an
 * entry is never listed: `listOwner` reads each entry's record and keeps it only when it is live
 * and still bound to O. The entry is then pruned under the record's lock (a write holding the
 * lock may be binding it right now: under the lock its record is read again), and
 * `deleteExpired` sweeps the whole index the same way, also removing empty owner directories.
 * "A crash" is the process's: the kernel keeps the order of the steps. After a power loss, the
 * file system decides which of two recent directory changes it kept; `sync: true` flushes the
 * record's data, not the directories, so a binding written just before the loss may come back
 * without its entry: not listed, though it lives on until its expiry or logout.
 */

/** Index entries are named as the record files, without `.json`. */
const ENTRY = /^[0-9a-f]{64}$/
const OWNERS = 'owners'
/** Attempts to create an entry while `deleteExpired` keeps removing its emptied directory. */
const MAX_ADD_ATTEMPTS = 10

/** The owner index under the directory `dir` of a FileStore. */
export class OwnerIndex {
  readonly #root: string

  constructor(dir: string) {
    this.#root = join(dir, OWNERS)
  }

  /** Creates the entry of the record file `name` under `owner` (before the record is written). */
  async add(owner: string, name: string): Promise<void> {
    const dir = await this.#dirOf(owner)
    for (let attempt = 1; ; attempt++) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      try {
        return await writeFile(join(dir, name), '', { mode: PRIVATE_FILE_MODE })
      } catch (error) {
        // `sweep` removed the directory between the two calls: create it again.
        if (codeOf(error) !== 'ENOENT' || attempt >= MAX_ADD_ATTEMPTS) throw error
      }
    }
  }

  /** Removes the entry of `name` under `owner` (after the record is gone or re-bound). */
  async remove(owner: string, name: string): Promise<void> {
    await removeFile(join(await this.#dirOf(owner), name))
  }

  /** The record file names indexed under `owner`: one directory listing. */
  async entries(owner: string): Promise<string[]> {
    return this.#list(await this.#dirOf(owner))
  }

  /**
   * Calls `prune(name, dirName)` for every entry (the caller checks it under the record's lock
   * and removes it with `removeFrom` when it is stale; `dirName` is its owner's directory, a
   * hash), then removes each emptied owner directory. Returns how many entries were pruned.
   */
  async sweep(prune: (name: string, dirName: string) => Promise<boolean>): Promise<number> {
    let removed = 0
    for (const owner of await this.#list(this.#root)) {
      const dir = join(this.#root, owner)
      for (const name of await this.#list(dir)) if (await prune(name, owner)) removed++
      await rmdir(dir).catch((error: unknown) => {
        if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(codeOf(error) as string)) throw error
      })
    }
    return removed
  }

  /** Removes the entry of `name` in the owner directory `dirName` (as `sweep` names it). */
  async removeFrom(dirName: string, name: string): Promise<void> {
    await removeFile(join(this.#root, dirName, name))
  }

  /** The directory name of `owner`'s entries: the hex SHA-256 of the owner key. */
  dirNameOf(owner: string): Promise<string> {
    return fileNameOf(owner)
  }

  async #dirOf(owner: string): Promise<string> {
    return join(this.#root, await this.dirNameOf(owner))
  }

  async #list(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).filter((name) => ENTRY.test(name))
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return []
      throw error
    }
  }
}
