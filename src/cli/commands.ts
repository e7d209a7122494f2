import { SessionError } from '../core/errors.js'
import { movedMarkerKey, stateOf } from '../core/record-markers.js'
import { recordKeyOf } from '../core/session-id.js'
import type { ScanOptions, SessionRecord, SessionStore } from '../core/store.js'
import type { SessionDefinition } from '../schema/define-session.js'
import { migrateStore } from '../schema/migrate-store.js'
import { redactSensitive } from '../schema/sensitive.js'
import type { CliConfig } from './config.js'
import { type CliOutput, formatBytes, progressBar } from './output.js'

/** Options shared by the commands. */
export interface CommandOptions {
  json: boolean
  dryRun: boolean
  batchSize?: number
}

/** What `stats` reports. */
export interface StoreStats {
  sessions: number
  currentVersion: number
  /** Sessions per schema version, as `{ "3": 100, "1": 20 }`. */
  versions: Record<string, number>
  /** Written under an older schema version: `migrate` upgrades them. */
  older: number
  /** Written by a newer release than this config's definition (a rollback). */
  newer: number
  /** Listed by scan although past `expiresAt` (most stores hide those; `purge-expired` deletes them). */
  expired: number
  /** Bytes of the sessions' JSON data: in all, the largest, on average. */
  size: { total: number; largest: number; average: number }
}

/**
 * The sessions a store lists: its records without the markers that logins and logouts leave
 * for racing requests (record-markers.ts), which hold no session.
 */
function scanOf(store: SessionStore, command: string) {
  if (typeof store.scan !== 'function') {
    throw new SessionError(
      'UNSUPPORTED',
      `This store cannot list its records (it has no scan()), so \`${command}\` cannot walk it.`
    )
  }
  const scan = store.scan.bind(store)
  return async function* sessions(options: ScanOptions) {
    for await (const record of scan(options)) if (stateOf(record).kind === 'live') yield record
  }
}

/** `stats`: counts, versions, expired and size of every listed session. */
export async function stats(config: CliConfig, options: CommandOptions, output: CliOutput) {
  const scan = scanOf(config.store, 'stats')
  const now = Date.now()
  const current = config.definition.version
  const result: StoreStats = {
    sessions: 0,
    currentVersion: current,
    versions: {},
    older: 0,
    newer: 0,
    expired: 0,
    size: { total: 0, largest: 0, average: 0 },
  }
  const encoder = new TextEncoder()
  const scanOptions = options.batchSize === undefined ? {} : { batchSize: options.batchSize }
  for await (const record of scan(scanOptions)) {
    result.sessions++
    const version = String(record.schemaVersion)
    result.versions[version] = (result.versions[version] ?? 0) + 1
    if (record.schemaVersion < current) result.older++
    if (record.schemaVersion > current) result.newer++
    if (record.expiresAt <= now) result.expired++
    const bytes = encoder.encode(JSON.stringify(record.data)).length
    result.size.total += bytes
    result.size.largest = Math.max(result.size.largest, bytes)
  }
  result.size.average = result.sessions === 0 ? 0 : Math.round(result.size.total / result.sessions)
  if (options.json) return output.out(JSON.stringify(result))

  output.out(`sessions: ${result.sessions} (schema version ${current} is current)`)
  const versions = Object.entries(result.versions).sort(([a], [b]) => Number(b) - Number(a))
  for (const [version, count] of versions) {
    const note =
      Number(version) === current
        ? 'current'
        : Number(version) < current
          ? 'older: `typed-sessions migrate` upgrades them'
          : 'newer than this definition: a rollback?'
    output.out(`  version ${version}: ${count} (${note})`)
  }
  output.out(
    `expired but listed: ${result.expired} (stores hide expired records; \`typed-sessions purge-expired\` deletes them)`
  )
  output.out(
    `size of data: ${formatBytes(result.size.total)} in all, largest ${formatBytes(result.size.largest)}, average ${formatBytes(result.size.average)}`
  )
}

/** `inspect <id>`: the record of a session id (or a whole cookie value), found by its hash. */
export async function inspect(
  config: CliConfig,
  idOrCookie: string,
  options: CommandOptions,
  output: CliOutput
): Promise<number> {
  // A cookie value is `<id>.<signature>`; the signature is not needed to find the record.
  const id = decodeURIComponent(idOrCookie).split('.')[0]!
  const key = recordKeyOf(id)
  const { store } = config
  let state = stateOf(await store.load(key))
  if (state.kind === 'gone') state = stateOf(await store.load(movedMarkerKey(key)))
  if (state.kind !== 'live') {
    output.err(
      state.kind === 'moved'
        ? `The session with id ${id} (record key ${key}) moved to a new id at a login; inspect the cookie the browser got then.\n`
        : `No live session with id ${id} (record key ${key}): unknown, expired or logged out.\n`
    )
    return 1
  }
  const described = describeRecord(state.record, config.definition)
  output.out(JSON.stringify(described, null, options.json ? 0 : 2))
  return 0
}

/** A record for people: dates as ISO strings, values marked `sensitive()` redacted. */
function describeRecord(record: SessionRecord, definition: SessionDefinition) {
  return {
    key: record.key,
    schemaVersion: record.schemaVersion,
    upToDate: record.schemaVersion === definition.version,
    version: record.version,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
    ...(record.expiry === undefined ? {} : { expiry: record.expiry }),
    data: redactSensitive(definition, record.data),
  }
}

/** `migrate [--dry-run]`: `migrateStore` with a progress bar over a first count. */
export async function migrate(config: CliConfig, options: CommandOptions, output: CliOutput) {
  const scan = scanOf(config.store, 'migrate')
  let total = 0
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only counted
  for await (const _ of scan({})) total++
  const bar = progressBar(output, options.dryRun ? 'checking' : 'migrating')
  bar.update(0, total)
  const report = await migrateStore(config.definition, config.store, {
    dryRun: options.dryRun,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    // Sessions created during the run can push the count past the first one.
    onProgress: (progress) => bar.update(progress.scanned, Math.max(total, progress.scanned)),
  })
  bar.end()
  if (options.json) return output.out(JSON.stringify(report))
  const verb = report.dryRun ? 'would migrate' : 'migrated'
  output.out(
    `${report.dryRun ? 'dry run: ' : ''}${verb} ${report.migrated} of ${report.scanned} sessions to version ${config.definition.version}; ` +
      `${report.current} already current, ${report.invalid} invalid (${report.newer} newer), ` +
      `${report.conflicts} left to requests after conflicts, ${report.gone} gone, in ${Math.round(report.durationMs)} ms`
  )
}

/** `purge-expired`: the store's `deleteExpired`. */
export async function purgeExpired(config: CliConfig, options: CommandOptions, output: CliOutput) {
  if (typeof config.store.deleteExpired !== 'function') {
    const note =
      'this store has no deleteExpired(): its backend expires records by itself (e.g. a Redis TTL)'
    return output.out(
      options.json ? JSON.stringify({ deleted: 0, note }) : `nothing to do: ${note}`
    )
  }
  const deleted = await config.store.deleteExpired()
  output.out(options.json ? JSON.stringify({ deleted }) : `deleted ${deleted} expired sessions`)
}
