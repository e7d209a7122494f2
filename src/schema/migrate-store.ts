import { SessionError, storeFailure } from '../core/errors.js'
import { stateOf } from '../core/record-markers.js'
import { batchSizeOf, type SessionRecord, type SessionStore } from '../core/store.js'
import type { SessionDefinition } from './define-session.js'
import { upgradeData } from './upgrade.js'

/** Options of `migrateStore`. */
export interface MigrateStoreOptions {
  /** Report what would happen, change nothing. @default false */
  dryRun?: boolean
  /** Records read per `scan` batch and upgraded concurrently. @default 1000 */
  batchSize?: number
  /** Called after each batch with the counts so far. */
  onProgress?: (report: MigrateStoreReport) => void
}

/** What `migrateStore` did (or, in a dry run, would do). */
export interface MigrateStoreReport {
  /** Sessions read (the markers that logins and logouts leave are skipped). */
  scanned: number
  /** Upgraded and saved (in a dry run: would be). */
  migrated: number
  /** Already at the current version, including ones a request upgraded meanwhile. */
  current: number
  /** Cannot be upgraded: a failing step or schema, or written by a newer version. Left as is. */
  invalid: number
  /** Of `invalid`: written by a newer version of the app (a rollback). */
  newer: number
  /** Changed by requests through every retry; left for the lazy upgrade on their next load. */
  conflicts: number
  /** Deleted (or expired) while the migration ran. */
  gone: number
  durationMs: number
  dryRun: boolean
}

/** How many times one record is reloaded and retried after a compare-and-set conflict. */
const CONFLICT_RETRIES = 3

/**
 * Upgrades every stored session of `store` to the definition's current schema version, in
 * batches, each save a compare-and-set: a session a request changed meanwhile is reloaded and
 * retried, never clobbered. Idempotent: a second run migrates nothing. Records that cannot be
 * upgraded are left alone and counted (the `onInvalid` policy applies when a request loads them).
 * @example
 * const report = await migrateStore(appSession, store, { dryRun: true })
 * if (report.invalid === 0) await migrateStore(appSession, store)
 */
export async function migrateStore(
  definition: SessionDefinition,
  store: SessionStore,
  options: MigrateStoreOptions = {}
): Promise<MigrateStoreReport> {
  const { dryRun = false, onProgress } = options
  if (typeof store.scan !== 'function') {
    throw new SessionError(
      'UNSUPPORTED',
      'This store cannot list its records (it has no scan()), so migrateStore() cannot walk it. Its sessions still upgrade lazily when they are loaded.'
    )
  }
  const batchSize = batchSizeOf(options.batchSize, 'migrateStore options.batchSize')
  const started = performance.now()
  const report: MigrateStoreReport = {
    scanned: 0,
    migrated: 0,
    current: 0,
    invalid: 0,
    newer: 0,
    conflicts: 0,
    gone: 0,
    durationMs: 0,
    dryRun,
  }
  const migrateOne = async (first: SessionRecord): Promise<void> => {
    let record = first
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      if (record.schemaVersion === definition.version) return void report.current++
      const result = upgradeData(definition, record.data, record.schemaVersion)
      if (!result.ok) {
        report.invalid++
        if (result.reason === 'newer-version') report.newer++
        return
      }
      if (dryRun) return void report.migrated++
      const upgraded = {
        ...record,
        data: result.data,
        schemaVersion: definition.version,
        version: record.version + 1,
      }
      if (await store.save(upgraded, record.version)) return void report.migrated++
      const fresh = await store.load(record.key)
      // Gone, or ended meanwhile by a logout or a login (its marker holds no session).
      if (fresh === undefined || stateOf(fresh).kind !== 'live') return void report.gone++
      record = fresh
    }
    report.conflicts++
  }

  const runBatch = async (batch: SessionRecord[]) => {
    report.scanned += batch.length
    await Promise.all(batch.map(migrateOne))
    onProgress?.({ ...report, durationMs: performance.now() - started })
  }
  try {
    let batch: SessionRecord[] = []
    for await (const record of store.scan({ batchSize })) {
      // The markers that logins and logouts leave for racing requests are no sessions.
      if (stateOf(record).kind !== 'live') continue
      batch.push(record)
      if (batch.length >= batchSize) {
        await runBatch(batch)
        batch = []
      }
    }
    if (batch.length > 0) await runBatch(batch)
  } catch (error) {
    throw storeFailure('migrateStore', error)
  }
  report.durationMs = performance.now() - started
  return report
}
