import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { SessionError, attemptStore } from '../../core/errors.js'
import {
  batchSizeOf,
  type ScanOptions,
  type SessionRecord,
  type SessionStore,
} from '../../core/store.js'
import { KeyQueue } from '../key-queue.js'
import { acquireLockFile, type LockFileTimings } from './lock-file.js'
import { OwnerIndex } from './owner-index.js'
import { ensurePrivateDir, isPrivateDir } from './private-dir.js'
import { ifCorrupt } from '../stored-record.js'
import {
  RECORD_FILE,
  TEMPORARY_FILE,
  codeOf,
  fileNameOf,
  readListedFile,
  readRecordFile,
  removeFile,
  writeRecordFile,
} from './record-file.js'

/** Options of `FileStore`. */
export interface FileStoreOptions {
  /**
   * The directory holding one file per session; created (with its parents) mode 0700 on first
   * write. Only its owner may write to it: a directory that its group or other users may write
   * to is refused with `CONFIG`, since they could replace or plant session files.
   */
  dir: string
  /**
   * A lock file older than this many milliseconds is taken as left by a crashed process and
   * broken. Locks are held for a few milliseconds; keep it far above that.
   * @default 10_000
   */
  staleLockMs?: number
  /**
   * How long a write waits for another process's lock on the same session before it fails
   * with `STORE_UNAVAILABLE`, in milliseconds.
   * @default 5_000
   */
  lockTimeoutMs?: number
  /**
   * Flush each record to the disk (`fsync`) before it replaces the old one: after a power loss
   * a session file is then its last or its previous record, never empty. Costs a disk flush per
   * write.
   * @default false
   */
  sync?: boolean
}

/**
 * A session store in a directory: one JSON file per session, named by the SHA-256 of its record
 * key. Writes go to a temporary file renamed over the record (atomic: a reader sees the old or
 * the new record, never a mix). Every write of one session (`create`, `save`, `delete`) holds a
 * lock file, `<name>.lock`, created exclusively: the compare-and-set is safe between processes
 * on one host, and within a process writes of one session wait in a queue instead of polling.
 * A lock left by a crashed process is broken after `staleLockMs`. Runs on Node, Bun and Deno
 * (`node:fs/promises`). Not for network file systems whose exclusive create or rename is not
 * atomic; several hosts need a database store. Expired files stay until `deleteExpired`. The
 * sessions bound to a user (`listOwner`) are indexed by one empty file per record under
 * `owners/`, written in an order that a crash cannot turn into a wrong listing (owner-index.ts).
 * @example
 * import { FileStore } from 'typed-sessions/file'
 *
 * const store = new FileStore({ dir: './sessions' })
 * app.use(sessionMiddleware(appSession, { store, secret }))
 * const stop = startExpiredDeletion(store, { intervalMs: 10 * 60_000 })
 */
export class FileStore implements SessionStore {
  readonly #dir: string
  readonly #lock: LockFileTimings
  readonly #sync: boolean
  readonly #queue = new KeyQueue()
  readonly #owners: OwnerIndex
  #ready: Promise<unknown> | undefined
  /** Set once the directory was seen to exist and to be writable by its owner alone. */
  #private = false

  constructor(options: FileStoreOptions) {
    const { dir, staleLockMs = 10_000, lockTimeoutMs = 5_000, sync = false } = options ?? {}
    if (typeof dir !== 'string' || dir === '') {
      throw new SessionError(
        'CONFIG',
        'FileStore takes the directory for its files, e.g. new FileStore({ dir: "./sessions" }).'
      )
    }
    for (const [name, value] of [
      ['staleLockMs', staleLockMs],
      ['lockTimeoutMs', lockTimeoutMs],
    ] as const) {
      if (!Number.isFinite(value) || value < 1) {
        throw new SessionError(
          'CONFIG',
          `FileStore options.${name} takes milliseconds >= 1, got ${value}. Omit it for the default.`
        )
      }
    }
    this.#dir = dir
    this.#owners = new OwnerIndex(dir)
    this.#lock = { staleMs: staleLockMs, timeoutMs: lockTimeoutMs }
    this.#sync = sync === true
  }

  /**
   * Writes the record unless a live one has its key (an expired one is replaced), under the lock.
   * @example if (!(await store.create(record))) retryWithNewId()
   */
  async create(record: SessionRecord): Promise<boolean> {
    return attemptStore('create', () =>
      this.#locked(record.key, async (name) => {
        const current = await this.#read(record.key, name).catch(ifCorrupt('corrupt' as const))
        // A file that cannot be decoded still holds the key: the engine draws another id.
        if (current === 'corrupt' || (current !== undefined && current.expiresAt > Date.now())) {
          return false
        }
        await this.#replace(name, current, record)
        return true
      })
    )
  }

  /**
   * The record with this key, or `undefined` if it is missing or expired: one file read, no lock.
   * @example const record = await store.load(key)
   */
  async load(key: string): Promise<SessionRecord | undefined> {
    return attemptStore('load', async () => {
      if (!this.#private && !(await this.#checkDir())) return undefined
      const record = await this.#read(key, await fileNameOf(key))
      return record !== undefined && record.expiresAt > Date.now() ? record : undefined
    })
  }

  /**
   * Without `expectedVersion`, an upsert. With it, under the lock: writes only if the file holds
   * a live record with exactly that version; `false` otherwise (missing, expired, undecodable).
   * Either way the file is read first, under the lock: the owner it holds is whose index entry
   * a re-binding write moves.
   * @example const saved = await store.save({ ...record, version: record.version + 1 }, record.version)
   */
  async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    return attemptStore('save', () =>
      this.#locked(record.key, async (name) => {
        const current = await this.#read(record.key, name).catch(ifCorrupt(undefined))
        if (
          expectedVersion !== undefined &&
          (current?.version !== expectedVersion || current.expiresAt <= Date.now())
        ) {
          return false
        }
        await this.#replace(name, current, record)
        return true
      })
    )
  }

  /**
   * Deletes the record's file, then its index entry, under the lock (so a compare-and-set in
   * flight cannot write it back); a missing key is not an error.
   * @example await store.delete(key)
   */
  async delete(key: string): Promise<void> {
    await attemptStore('delete', () =>
      this.#locked(key, async (name) => {
        const current = await this.#read(key, name).catch(ifCorrupt(undefined))
        await this.#remove(this.#path(`${name}.json`))
        if (current?.owner !== undefined) await this.#owners.remove(current.owner, name)
      })
    )
  }

  /**
   * The live records bound to `owner`: one listing of its index directory, then each entry's
   * record file, kept when it is live and still bound to `owner`. An entry whose record is gone
   * or bound elsewhere (left by a crash) is not listed, and is pruned under the record's lock.
   * @example const sessions = await store.listOwner(ownerKeyOf(user.id))
   */
  async listOwner(owner: string): Promise<SessionRecord[]> {
    return attemptStore('listOwner', async () => {
      if (!this.#private && !(await this.#checkDir())) return []
      const now = Date.now()
      const dirName = await this.#owners.dirNameOf(owner)
      const listed = await Promise.all(
        (await this.#owners.entries(owner)).map(async (name) => {
          const record = await this.#readFile(`${name}.json`).catch(ifCorrupt(undefined))
          if (record?.owner === owner) return record.expiresAt > now ? record : undefined
          // Not listed either way; a prune that fails (a lock held too long) is retried later.
          await this.#pruneIfStale(name, dirName).catch(() => undefined)
          return undefined
        })
      )
      return listed.filter((record) => record !== undefined)
    })
  }

  /**
   * Deletes every expired record (each checked again under its lock, so a record saved
   * meanwhile stays) and returns how many; also removes temporary files left by a crash.
   * @example setInterval(() => void store.deleteExpired(), 10 * 60_000)
   */
  async deleteExpired(): Promise<number> {
    return attemptStore('deleteExpired', async () => {
      let deleted = 0
      for (const file of await this.#files()) {
        if (TEMPORARY_FILE.test(file)) {
          const path = this.#path(file)
          const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs
          if (age > this.#lock.staleMs) await this.#remove(path)
          continue
        }
        if (!RECORD_FILE.test(file)) continue
        const seen = await this.#readFile(file).catch(ifCorrupt(undefined))
        if (seen?.key === undefined || seen.expiresAt > Date.now()) continue
        const removed = await this.#locked(seen.key, async (name) => {
          const current = await this.#read(seen.key, name).catch(ifCorrupt(undefined))
          if (current === undefined || current.expiresAt > Date.now()) return false
          await this.#remove(this.#path(`${name}.json`))
          if (current.owner !== undefined) await this.#owners.remove(current.owner, name)
          return true
        })
        if (removed) deleted++
      }
      // Entries a crash left between a record's write and its index's: checked under each lock.
      await this.#owners.sweep((name, dirName) => this.#pruneIfStale(name, dirName))
      return deleted
    })
  }

  /**
   * Every live record, each exactly once: the directory is listed once, then read `batchSize`
   * files at a time. A file that cannot be decoded is skipped; a record deleted or expired
   * before its batch is read is not yielded; one created during the scan is not.
   * @example for await (const record of store.scan({ batchSize: 500 })) count++
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<SessionRecord> {
    const batchSize = batchSizeOf(options.batchSize, 'scan options.batchSize')
    const files = (await attemptStore('scan', () => this.#files())).filter((file) =>
      RECORD_FILE.test(file)
    )
    for (let start = 0; start < files.length; start += batchSize) {
      const batch = await attemptStore('scan', () =>
        Promise.all(
          files.slice(start, start + batchSize).map((file) =>
            // Undecodable: the engine judges it when it is loaded; a bulk scan moves on.
            this.#readFile(file).catch(ifCorrupt(undefined))
          )
        )
      )
      const now = Date.now()
      for (const record of batch) if (record !== undefined && record.expiresAt > now) yield record
    }
  }

  /**
   * Writes `next` over `current` with its index entries in crash-safe order (owner-index.ts):
   * the new owner's entry, the record, then the entry of the owner it replaces.
   */
  async #replace(name: string, current: SessionRecord | undefined, next: SessionRecord) {
    const [from, to] = [current?.owner, next.owner]
    if (to !== undefined && to !== from) await this.#owners.add(to, name)
    await this.#write(name, next)
    if (from !== undefined && from !== to) await this.#owners.remove(from, name)
  }

  /**
   * Removes the index entry `name` under the owner directory `dirName` unless, read under its
   * lock, its record is still bound to that owner; true if it removed it.
   */
  #pruneIfStale(name: string, dirName: string): Promise<boolean> {
    return this.#lockedName(name, async () => {
      const record = await this.#readFile(`${name}.json`).catch(ifCorrupt(undefined))
      if (record?.owner !== undefined && (await fileNameOf(record.owner)) === dirName) return false
      await this.#owners.removeFrom(dirName, name)
      return true
    })
  }

  /** Runs `task` holding the key's lock, after this process's earlier writes of the key. */
  #locked<T>(key: string, task: (name: string) => Promise<T>): Promise<T> {
    return this.#queue.run(key, async () => {
      const name = await fileNameOf(key)
      return this.#holdingLock(name, () => task(name))
    })
  }

  /**
   * Runs `task` holding the lock of the record file `name` (a prune, which knows the file and
   * not the key: it waits on the lock file, not in the queue, for a write of the key).
   */
  #lockedName<T>(name: string, task: () => Promise<T>): Promise<T> {
    return this.#queue.run(`file:${name}`, () => this.#holdingLock(name, task))
  }

  async #holdingLock<T>(name: string, task: () => Promise<T>): Promise<T> {
    await this.#ensureDir()
    const lock = await acquireLockFile(this.#path(`${name}.lock`), this.#lock)
    try {
      return await task()
    } finally {
      await lock.release()
    }
  }

  /** The record in the file of `name`, or `undefined` if there is none. */
  #read(key: string, name: string): Promise<SessionRecord | undefined> {
    return readRecordFile(this.#path(`${name}.json`), key)
  }

  /** The record in `file` (a name from the listing), whatever its key; undefined if gone. */
  #readFile(file: string): Promise<SessionRecord | undefined> {
    return readListedFile(this.#path(file), file)
  }

  #write(name: string, record: SessionRecord): Promise<void> {
    const temporary = this.#path(`${name}.${crypto.randomUUID()}.tmp`)
    return writeRecordFile(this.#path(`${name}.json`), temporary, record, this.#sync)
  }

  #remove(path: string): Promise<void> {
    return removeFile(path)
  }

  async #files(): Promise<string[]> {
    if (!this.#private && !(await this.#checkDir())) return []
    try {
      return await readdir(this.#dir)
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return []
      throw error
    }
  }

  /** Creates the directory (0700) unless it exists, and checks that it is private; once. */
  #ensureDir(): Promise<unknown> {
    this.#ready ??= ensurePrivateDir(this.#dir).then(
      () => {
        this.#private = true
      },
      (error: unknown) => {
        this.#ready = undefined
        throw error
      }
    )
    return this.#ready
  }

  /** Whether the directory exists (reads of a missing one find nothing), checked as private. */
  async #checkDir(): Promise<boolean> {
    const exists = await isPrivateDir(this.#dir)
    if (exists) this.#private = true
    return exists
  }

  #path(file: string): string {
    return join(this.#dir, file)
  }
}
