import {
  median,
  type BulkMigrationResult,
  type LazyUpgradeResult,
  type MigrationBench,
  type MigrationResult,
  type MigrationSettings,
} from './migration.js'

/** One migration benchmark: its numbers, or why it failed. */
export type MigrationOutcome =
  { bench: MigrationBench; result: MigrationResult } | { bench: MigrationBench; failed: string }

/** Bulk migration throughput that `migrateStore` must reach, in records per second. */
const BULK_TARGET = 50_000

/** The report's section on the in-process schema migration benchmarks. */
export function renderMigrationSection(
  migrations: readonly MigrationOutcome[],
  { bulkRounds, lazyRounds }: MigrationSettings
): string[] {
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
