import { cpus } from 'node:os'
import type { StoreCalls } from './counting-store.js'
import type { Measurement, LoadSettings } from './measure.js'
import {
  median,
  type BulkMigrationResult,
  type LazyUpgradeResult,
  type MigrationBench,
  type MigrationResult,
  type MigrationSettings,
} from './migration.js'
import type { Variant } from './variants.js'

/** One line of the table: measured, or not available with the reason. */
export type Outcome =
  | { variant: Variant; measurement: Measurement }
  | {
      variant: Variant
      unavailable: string
      /** The variant's store server could not be reached (not a failure of ours). */
      serverDown: boolean
    }

/** One migration benchmark: its numbers, or why it failed. */
export type MigrationOutcome =
  { bench: MigrationBench; result: MigrationResult } | { bench: MigrationBench; failed: string }

/** Context printed above the tables. */
export interface ReportContext {
  command: string
  load: LoadSettings
  migration: MigrationSettings
  /** How many interleaved rounds each server variant was measured in (the median is shown). */
  rounds: number
  date: Date
}

/** Bulk migration throughput that `migrateStore` must reach, in records per second. */
const BULK_TARGET = 50_000

/** A run is flagged when load requests failed: non-2xx answers, connection errors, timeouts. */
export function hasLoadErrors(measurement: Measurement): boolean {
  return measurement.non2xx + measurement.errors + measurement.timeouts > 0
}

/** The Markdown report: context, the tables, what each variant is, and how to read them. */
export function renderReport(
  outcomes: readonly Outcome[],
  migrations: readonly MigrationOutcome[],
  context: ReportContext
): string {
  const cpu = cpus()
  return [
    '# typed-sessions: server efficiency',
    '',
    `- Command: \`${context.command}\``,
    `- Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    `- Date: ${context.date.toISOString()}`,
    ...(outcomes.length === 0 ? [] : renderServerSection(outcomes, context)),
    ...(migrations.length === 0 ? [] : renderMigrationSection(migrations, context)),
  ].join('\n')
}

function renderServerSection(outcomes: readonly Outcome[], context: ReportContext): string[] {
  const bare = outcomes.find((o) => o.variant.name === 'bare')
  const bareCpu =
    bare !== undefined && 'measurement' in bare ? bare.measurement.cpuPerRequestUs : undefined
  const { load } = context
  const flagged = outcomes.filter((o) => 'measurement' in o && hasLoadErrors(o.measurement))
  const stores = outcomes.some((o) => o.variant.service !== undefined)
  return [
    `- Load: autocannon, ${load.connections} connections, pipelining ${load.pipelining}, ` +
      `${load.warmup} s warm-up then a ${load.duration} s measured window, over loopback; ` +
      'each server in its own process, the load generator sharing the cores. ' +
      `Every variant measured in ${context.rounds} interleaved round(s); the median round is shown.`,
    `- Returning visitors: ${load.connections} sessions primed before the load, one per ` +
      'connection; each connection sends its own cookie on every request.',
    '- Targets: returning visitor ≥ 0.60 of bare, untouched ≥ 0.95 of bare; a returning ' +
      'visitor costs at most 1 + 1 store round trips (one read, one write, compare-and-set included).',
    '',
    '## Server CPU per request',
    '',
    '| variant | req/s | p99 ms | server CPU µs/req | efficiency vs bare | target | store calls/req (load+save) | load errors |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...outcomes.map((o) => renderRow(o, bareCpu)),
    '',
    ...(flagged.length === 0
      ? []
      : [`**Flagged:** load errors in ${flagged.map((o) => o.variant.name).join(', ')}.`, '']),
    'Server CPU is the server process’s user + system time over the measured window (from',
    '`process.cpuUsage()`) divided by the requests completed in it, so it does not depend on how',
    'much of the cores the load generator took. Efficiency vs bare = bare CPU/req ÷ variant CPU/req.',
    'Repeated runs of one variant on a shared 2-core machine differ by up to about 10 %; read',
    'smaller gaps as noise. A `--quick` run is a smoke test: its windows are too short to compare.',
    '',
    'Returning visitors are different people: before the load, one session per connection is',
    'created (a first visit, or `/prime` for the untouched route), and each autocannon connection',
    'replays its own cookie. Concurrent requests therefore never hit the same session, for ours',
    'and for the peers alike. (Replaying one cookie from every connection, as earlier runs did,',
    'makes concurrent requests of one session conflict, which costs ours compare-and-set retries',
    'that real visitors do not cause.) A cookie-held session (`hono-sessions-cookie`,',
    '`@hono/session`) is replayed as primed, so its count does not advance; it still decrypts,',
    'updates and re-encrypts the data on every request.',
    '',
    'Store calls/req counts the `create`, `load`, `save` and `delete` calls our session engine',
    'made on its store (through a pass-through counting wrapper, `bench/counting-store.ts`) over',
    'the measured window, divided by the requests answered in it; `+n create` / `+n delete` are',
    'shown when not zero. Every call of these stores is one network round trip to its server',
    '(one statement, command or script each, verified by the store authors against the servers’',
    'own counters, and spot-checked while writing this benchmark: per counter request, Redis',
    '`INFO commandstats` gained one `GET` and one `EVALSHA`, PostgreSQL',
    '`pg_stat_database.xact_commit` two, MySQL/MariaDB `Com_stmt_execute` two), so **store',
    'calls = round trips**; a compare-and-set `save` is one of them.',
    ...(stores
      ? [
          '',
          'The server CPU of a networked store (Redis, PostgreSQL, MySQL/MariaDB) is the Node',
          'process only: it **excludes the database server’s own CPU**, which runs on the same',
          '2 cores and so also lowers req/s. SQLite runs inside the server process, so its work',
          'is included. Compare stores by req/s and p99 as well as by CPU per request. A store',
          'variant whose server cannot be reached is n/a and does not fail the run. Each run uses',
          'its own table (`bench_sessions_<random>`) or Redis key prefix (`bench:<random>:`) and',
          'a temp SQLite file, all removed when the variant’s server stops.',
        ]
      : []),
    '',
    ...outcomes.map((o) => `- \`${o.variant.name}\`: ${o.variant.description}`),
    '',
  ]
}

function renderRow(outcome: Outcome, bareCpu: number | undefined): string {
  const { variant } = outcome
  const target = variant.target === undefined ? '' : `≥ ${variant.target.toFixed(2)}`
  if (!('measurement' in outcome)) {
    return `| ${variant.name} | n/a (${outcome.unavailable.replaceAll('|', '\\|')}) | | | | ${target} | | |`
  }
  const m = outcome.measurement
  const efficiency = bareCpu === undefined ? undefined : bareCpu / m.cpuPerRequestUs
  const verdict =
    variant.target === undefined || efficiency === undefined
      ? target
      : `${target} ${efficiency >= variant.target ? 'met' : '**missed**'}`
  const errors = hasLoadErrors(m)
    ? `⚠ ${m.non2xx} non-2xx, ${m.errors} errors, ${m.timeouts} timeouts`
    : 'none'
  return [
    '',
    variant.name,
    Math.round(m.requestsPerSecond).toLocaleString('en-US'),
    m.p99Ms.toFixed(0),
    m.cpuPerRequestUs.toFixed(1),
    efficiency === undefined ? '–' : efficiency.toFixed(2),
    verdict,
    renderCalls(m.storeCallsPerRequest, variant),
    errors,
    '',
  ]
    .join(' | ')
    .trim()
}

/** A count per request: two decimals, without trailing zeros (`1`, `1.02`). */
function perRequest(value: number): string {
  return Number.isNaN(value) ? '?' : String(Number(value.toFixed(2)))
}

/** Below this, a per-request count rounds to 0 in the table. */
const NEGLIGIBLE = 0.005

function renderCalls(calls: StoreCalls | undefined, variant: Variant): string {
  if (calls === undefined) return '–'
  const extra = (['create', 'delete'] as const)
    .filter((key) => calls[key] >= NEGLIGIBLE)
    .map((key) => `, +${perRequest(calls[key])} ${key}`)
    .join('')
  const text = `${perRequest(calls.load)} + ${perRequest(calls.save)}${extra}`
  const limit = variant.callTarget
  if (limit === undefined) return text
  const met =
    calls.load < limit.load + NEGLIGIBLE &&
    calls.save < limit.save + NEGLIGIBLE &&
    calls.create < NEGLIGIBLE &&
    calls.delete < NEGLIGIBLE
  return `${text} (≤ ${limit.load} + ${limit.save} ${met ? 'met' : '**missed**'})`
}

function renderMigrationSection(
  migrations: readonly MigrationOutcome[],
  context: ReportContext
): string[] {
  const { bulkRounds, lazyRounds } = context.migration
  return [
    '',
    '## Schema migrations (in process, no HTTP)',
    '',
    `Run in the benchmark runner’s own process before the servers; each figure is the median of ` +
      `the measured rounds (bulk: ${bulkRounds}, lazy: ${lazyRounds}), after unmeasured ` +
      'warm-up rounds. Records are small (`{ count: i }`) and live in a MemoryStore, so this is ' +
      'the library’s own cost: with a server store, its round trips come on top.',
    '',
    ...migrations.flatMap(renderMigration),
    ...migrations.map((m) => `- \`${m.bench.name}\`: ${m.bench.description}`),
    '',
  ]
}

function renderMigration(outcome: MigrationOutcome): string[] {
  if ('failed' in outcome) return [`**${outcome.bench.name} failed:** ${outcome.failed}`, '']
  const { result } = outcome
  return result.kind === 'bulk' ? renderBulk(result) : renderLazy(result)
}

function rate(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

function spread(values: readonly number[], format: (value: number) => string): string {
  return `${format(Math.min(...values))} – ${format(Math.max(...values))}`
}

function renderBulk(result: BulkMigrationResult): string[] {
  const met = result.migrateRate >= BULK_TARGET
  return [
    `### Bulk migration: \`migrateStore\`, ${result.records.toLocaleString('en-US')} records, version 1 → 3`,
    '',
    '| run | records/s (median) | range over rounds | ms per run (median) | target |',
    '| --- | ---: | ---: | ---: | --- |',
    `| migrate (batchSize ${result.batchSize}) | ${rate(result.migrateRate)} | ${spread(result.migrateRates, rate)} | ${((result.records / result.migrateRate) * 1000).toFixed(0)} | ≥ ${rate(BULK_TARGET)} ${met ? 'met' : '**missed**'} |`,
    `| dry run (reads and upgrades, saves nothing) | ${rate(result.dryRunRate)} | ${spread(result.dryRunRates, rate)} | ${((result.records / result.dryRunRate) * 1000).toFixed(0)} | |`,
    '',
    'Each round fills a fresh store (not timed), dry-runs it, then migrates it; every round checks',
    'that all records were migrated (none invalid, no conflicts) and end at version 3.',
    '',
  ]
}

function renderLazy(result: LazyUpgradeResult): string[] {
  const us = (value: number) => value.toFixed(2)
  const ratio = result.upgradeUs / result.currentUs
  const ratios = result.upgradeUsPerRound.map((u, i) => u / (result.currentUsPerRound[i] ?? u))
  return [
    '### Lazy upgrade on load vs a current-version load',
    '',
    '| record loaded | µs per load (median) | range over rounds |',
    '| --- | ---: | ---: |',
    `| version 3 (current): no upgrade | ${us(result.currentUs)} | ${spread(result.currentUsPerRound, us)} |`,
    `| version 1: upgraded v1 → v2 → v3 | ${us(result.upgradeUs)} | ${spread(result.upgradeUsPerRound, us)} |`,
    '',
    `Upgrade cost: **${us(result.upgradeUs - result.currentUs)} µs** per load more, ` +
      `**${ratio.toFixed(2)}×** a current-version load (ratio of medians; median of the ` +
      `per-round ratios ${median(ratios).toFixed(2)}×). Each round loads ` +
      `${result.recordsPerVersion.toLocaleString('en-US')} sessions of each version once, on ` +
      'fresh `Session` objects, sequentially; the version-1 records are re-seeded before every ' +
      'round (a load never writes back, the save at the end of a request would), and which set ' +
      'goes first alternates. The version-1 load is checked to upgrade (data migrated, session ' +
      'due a save) and the version-3 one not to. Not included: the save that persists the ' +
      'upgrade at the end of the request, which a returning request makes anyway when it writes.',
    '',
  ]
}
