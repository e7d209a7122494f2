/**
 * In-process benchmarks of schema migrations (no HTTP): the bulk `migrateStore` over a
 * MemoryStore full of version-1 records, and the lazy upgrade a request pays when it loads a
 * record written under an older schema version.
 */
import {
  generateSessionId,
  MemoryStore,
  migrateStore,
  recordKeyOf,
  Session,
  type SessionConfig,
  type SessionRecord,
} from 'typed-sessions'
import { appSession } from '../schemas/app-session.js'
import { recordUpgrader } from '../src/schema/upgrade.js'

/** How long the migration benchmarks run: rounds measured (after unmeasured warm-up rounds). */
export interface MigrationSettings {
  bulkRounds: number
  lazyRounds: number
}

export const BULK_RECORDS = 20_000
export const BULK_BATCH_SIZE = 1000
export const LAZY_RECORDS = 1000
const WARMUP_BULK_ROUNDS = 1
const WARMUP_LAZY_ROUNDS = 10
const DAY_MS = 86_400_000

export interface BulkMigrationResult {
  kind: 'bulk'
  records: number
  batchSize: number
  rounds: number
  /** Median records per second of `migrateStore`, and of its dry run. */
  migrateRate: number
  dryRunRate: number
  /** Each measured round's rate, for the spread. */
  migrateRates: number[]
  dryRunRates: number[]
}

export interface LazyUpgradeResult {
  kind: 'lazy'
  recordsPerVersion: number
  rounds: number
  /** Median µs per `session.load()` of a version-1 record (upgraded) and of a version-3 one. */
  upgradeUs: number
  currentUs: number
  upgradeUsPerRound: number[]
  currentUsPerRound: number[]
}

export type MigrationResult = BulkMigrationResult | LazyUpgradeResult

/** One in-process benchmark, selectable with `--only` like a server variant. */
export interface MigrationBench {
  name: string
  description: string
  run: (settings: MigrationSettings) => Promise<MigrationResult>
}

export const migrationBenches: readonly MigrationBench[] = [
  {
    name: 'migrate-store',
    description: `\`migrateStore(appSession, store, { batchSize: ${BULK_BATCH_SIZE} })\` over a MemoryStore of ${BULK_RECORDS.toLocaleString('en-US')} records written under version 1 of schemas/app-session.ts, upgraded to version 3; and its dry run`,
    run: runBulkMigration,
  },
  {
    name: 'lazy-upgrade',
    description: `\`await session.load()\` on a fresh \`Session\` (schemaVersion 3, \`recordUpgrader(appSession)\`, MemoryStore) of a version-1 record (upgraded v1 → v2 → v3 on load) vs a version-3 record; ${LAZY_RECORDS.toLocaleString('en-US')} of each loaded once per round`,
    run: runLazyUpgrade,
  },
]

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`migration benchmark check failed: ${what}`)
}

function v1Record(key: string, i: number, now: number): SessionRecord {
  return {
    key,
    data: { count: i },
    createdAt: now,
    expiresAt: now + DAY_MS,
    version: 0,
    schemaVersion: 1,
  }
}

/** A MemoryStore holding `BULK_RECORDS` small version-1 records. */
async function filledStore(keys: readonly string[]): Promise<MemoryStore> {
  const store = new MemoryStore({ maxSessions: keys.length * 2 })
  const now = Date.now()
  for (const [i, key] of keys.entries()) {
    check(await store.create(v1Record(key, i, now)), 'each record is created')
  }
  return store
}

async function runBulkMigration(settings: MigrationSettings): Promise<BulkMigrationResult> {
  const keys = Array.from({ length: BULK_RECORDS }, () => recordKeyOf(generateSessionId()))
  const options = { batchSize: BULK_BATCH_SIZE }
  const migrateRates: number[] = []
  const dryRunRates: number[] = []
  for (let round = 0; round < WARMUP_BULK_ROUNDS + settings.bulkRounds; round++) {
    const store = await filledStore(keys)
    const dryStarted = performance.now()
    const dry = await migrateStore(appSession, store, { ...options, dryRun: true })
    const dryMs = performance.now() - dryStarted
    check(dry.migrated === BULK_RECORDS, `a dry run would migrate all, got ${dry.migrated}`)
    const started = performance.now()
    const report = await migrateStore(appSession, store, options)
    const ms = performance.now() - started
    check(
      report.migrated === BULK_RECORDS && report.invalid === 0 && report.conflicts === 0,
      `every record migrates: ${JSON.stringify(report)}`
    )
    const sample = await store.load(keys[0]!)
    check(sample?.schemaVersion === 3 && sample.data.counter === 0, 'records end at version 3')
    if (round < WARMUP_BULK_ROUNDS) continue
    dryRunRates.push((BULK_RECORDS / dryMs) * 1000)
    migrateRates.push((BULK_RECORDS / ms) * 1000)
  }
  return {
    kind: 'bulk',
    records: BULK_RECORDS,
    batchSize: BULK_BATCH_SIZE,
    rounds: settings.bulkRounds,
    migrateRate: median(migrateRates),
    dryRunRate: median(dryRunRates),
    migrateRates,
    dryRunRates,
  }
}

async function runLazyUpgrade(settings: MigrationSettings): Promise<LazyUpgradeResult> {
  const store = new MemoryStore({ maxSessions: LAZY_RECORDS * 4 })
  const config: SessionConfig = { store, schemaVersion: 3, upgrade: recordUpgrader(appSession) }
  const now = Date.now()
  const v1Ids = Array.from({ length: LAZY_RECORDS }, () => generateSessionId())
  const v3Ids = Array.from({ length: LAZY_RECORDS }, () => generateSessionId())
  const v1Records = v1Ids.map((id, i) => v1Record(recordKeyOf(id), i, now))
  for (const [i, id] of v3Ids.entries()) {
    const record = { ...v1Record(recordKeyOf(id), i, now), data: { counter: i }, schemaVersion: 3 }
    check(await store.create(record), 'each version-3 record is created')
  }

  /** Loads each session once on a fresh `Session`; returns µs per load. */
  const loadAll = async (ids: readonly string[]): Promise<number> => {
    const started = performance.now()
    for (const id of ids) await new Session(config, id).load()
    return ((performance.now() - started) * 1000) / ids.length
  }

  const upgradeUsPerRound: number[] = []
  const currentUsPerRound: number[] = []
  for (let round = 0; round < WARMUP_LAZY_ROUNDS + settings.lazyRounds; round++) {
    // Re-seeded every round, so each load really upgrades (a load alone never writes back).
    for (const record of v1Records) await store.save(record)
    if (round === 0) await checkLazyUpgrade(config, v1Ids[7]!, v3Ids[7]!)
    // Alternating which goes first, so neither always runs on a just-warmed cache.
    const upgradeFirst = round % 2 === 0
    const first = await loadAll(upgradeFirst ? v1Ids : v3Ids)
    const second = await loadAll(upgradeFirst ? v3Ids : v1Ids)
    if (round < WARMUP_LAZY_ROUNDS) continue
    upgradeUsPerRound.push(upgradeFirst ? first : second)
    currentUsPerRound.push(upgradeFirst ? second : first)
  }
  return {
    kind: 'lazy',
    recordsPerVersion: LAZY_RECORDS,
    rounds: settings.lazyRounds,
    upgradeUs: median(upgradeUsPerRound),
    currentUs: median(currentUsPerRound),
    upgradeUsPerRound,
    currentUsPerRound,
  }
}

/** The timed loads really do what they claim: v1 upgraded (and due a save), v3 left as is. */
async function checkLazyUpgrade(config: SessionConfig, v1Id: string, v3Id: string): Promise<void> {
  const old = new Session(config, v1Id)
  check((await old.get('counter')) === 7, 'a version-1 record reads as upgraded data')
  check(old.storedSchemaVersion === 1 && old.isModified, 'a version-1 load upgrades')
  const current = new Session(config, v3Id)
  check((await current.get('counter')) === 7, 'a version-3 record reads as it is')
  check(current.storedSchemaVersion === 3 && !current.isModified, 'a version-3 load does not')
}

/** The benchmark called `name`, if there is one. */
export function findMigrationBench(name: string): MigrationBench | undefined {
  return migrationBenches.find((bench) => bench.name === name)
}
