import { cpus } from 'node:os'
import type { ConcurrencyOutcome } from './concurrency.js'
import { renderConcurrency } from './concurrency-report.js'
import type { StoreCalls } from './counting-store.js'
import type { LoadSettings, Measurement } from './measure.js'
import { renderMigrationSection, type MigrationOutcome } from './migration-report.js'
import type { MigrationSettings } from './migration.js'
import type { BenchCase, Visitor } from './variants.js'

export type { MigrationOutcome } from './migration-report.js'

/** One case in one round: measured, or not available with the reason. */
export type Outcome =
  | (BenchCase & { measurement: Measurement })
  | (BenchCase & { unavailable: string; serverDown: boolean })

/** A case over all rounds: medians, and its efficiency vs bare Hono taken round by round. */
export interface CaseSummary extends BenchCase {
  /** Why it could not be measured in some round (then no figures are shown). */
  unavailable?: { reason: string; serverDown: boolean }
  /** The round with the median CPU per request. */
  median?: Measurement
  /** bare CPU/req ÷ this case's CPU/req, per round, in round order. */
  ratios: number[]
}

/** Context printed above the tables. */
export interface ReportContext {
  command: string
  load: LoadSettings
  migration: MigrationSettings
  rounds: number
  date: Date
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length / 2
  return sorted.length % 2 === 1
    ? sorted[Math.floor(middle)]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Folds a case's rounds, each compared with bare Hono's measurement of the same round. */
export function summarize(
  benchCase: BenchCase,
  runs: readonly Outcome[],
  bareRuns: readonly Outcome[]
): CaseSummary {
  const failure = runs.find((run) => 'unavailable' in run)
  if (failure !== undefined && 'unavailable' in failure) {
    const { unavailable: reason, serverDown } = failure
    return { ...benchCase, unavailable: { reason, serverDown }, ratios: [] }
  }
  const measured = runs.map((run) => (run as { measurement: Measurement }).measurement)
  const byCpu = [...measured].sort((a, b) => a.cpuPerRequestUs - b.cpuPerRequestUs)
  const ratios = measured.flatMap((m, round) => {
    const bare = bareRuns[round]
    return bare && 'measurement' in bare
      ? [bare.measurement.cpuPerRequestUs / m.cpuPerRequestUs]
      : []
  })
  return { ...benchCase, median: byCpu[Math.floor((byCpu.length - 1) / 2)]!, ratios }
}

/** A run is flagged when load requests failed: non-2xx answers, connection errors, timeouts. */
export function hasLoadErrors(m: Measurement): boolean {
  return m.non2xx + m.errors + m.timeouts > 0
}

/**
 * Cases that fail the run: load errors, and ours not measured, except a store whose server is
 * down (n/a) unless `strict` (CI), where that fails too.
 */
export function failedCases(summaries: readonly CaseSummary[], strict = false): CaseSummary[] {
  return summaries.filter((s) =>
    s.median !== undefined
      ? hasLoadErrors(s.median)
      : s.variant.group !== 'peer' && (strict || s.unavailable?.serverDown !== true)
  )
}

const VISITOR_LABEL: Record<Visitor, string> = {
  anonymous: '–',
  new: 'new',
  returning: 'returning',
}

/** `0.52 (0.49–0.55)`: the median ratio and its spread over the rounds. */
export function formatRatio(ratios: readonly number[]): string {
  if (ratios.length === 0) return '–'
  const spread =
    ratios.length > 1
      ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
      : ''
  return `${median(ratios).toFixed(2)}${spread}`
}

/** The efficiency table, one row per variant and visitor: shared by the report and the README. */
export function renderTable(summaries: readonly CaseSummary[]): string[] {
  return [
    '| variant | visitor | server CPU µs/req | vs bare Hono (spread over rounds) | target | store calls/req | req/s |',
    '| --- | --- | ---: | ---: | --- | --- | ---: |',
    ...summaries.map(renderRow),
  ]
}

function renderRow(s: CaseSummary): string {
  const target = s.variant.targets?.[s.visitor]
  const targetText = target === undefined ? '' : `≥ ${target.toFixed(2)}`
  const name = s.variant.group === 'ours' ? `**${s.variant.label}**` : s.variant.label
  const cells = (rest: string[]) => `| ${[name, VISITOR_LABEL[s.visitor], ...rest].join(' | ')} |`
  if (s.median === undefined) {
    return cells([
      `n/a: ${(s.unavailable?.reason ?? '').replaceAll('|', '\\|')}`,
      '',
      targetText,
      '',
      '',
    ])
  }
  const m = s.median
  const ratio = median(s.ratios)
  const verdict =
    target === undefined ? '' : `${targetText} ${ratio >= target ? 'met' : '**missed**'}`
  const errors = hasLoadErrors(m) ? ` ⚠ ${m.non2xx} non-2xx, ${m.errors} errors` : ''
  return cells([
    m.cpuPerRequestUs.toFixed(1),
    formatRatio(s.ratios),
    verdict,
    renderCalls(m.storeCallsPerRequest, s),
    Math.round(m.requestsPerSecond).toLocaleString('en-US') + errors,
  ])
}

/** Below this, a per-request count rounds to 0 in the table. */
const NEGLIGIBLE = 0.005
const perRequest = (value: number) => (Number.isNaN(value) ? '?' : String(Number(value.toFixed(2))))

function renderCalls(calls: StoreCalls | undefined, s: CaseSummary): string {
  if (calls === undefined) return ''
  const parts = (['create', 'load', 'save', 'delete'] as const)
    .filter((key) => calls[key] >= NEGLIGIBLE)
    .map((key) => `${perRequest(calls[key])} ${key}`)
  const text = parts.length === 0 ? '0' : parts.join(' + ')
  const limit = s.variant.callTarget
  if (limit === undefined || s.visitor !== 'returning') return text
  const met =
    calls.load < limit.load + NEGLIGIBLE &&
    calls.save < limit.save + NEGLIGIBLE &&
    calls.create < NEGLIGIBLE &&
    calls.delete < NEGLIGIBLE
  return met ? text : `${text} (**over** ${limit.load} load + ${limit.save} save)`
}

/** Bare Hono against plain `node:http` in the same rounds: the baseline's own sanity check. */
export function renderCrossCheck(summaries: readonly CaseSummary[]): string {
  const cpu = (name: string) => summaries.find((s) => s.variant.name === name)?.median
  const bare = cpu('bare')
  const node = cpu('node-http')
  if (bare === undefined || node === undefined) return ''
  const added = bare.cpuPerRequestUs - node.cpuPerRequestUs
  const verdict =
    added >= 0
      ? `Hono and its Node adapter add ${added.toFixed(1)} µs`
      : 'bare Hono measured below plain node:http, which it cannot be: read the spreads as noise'
  return (
    `Cross-check: bare Hono costs ${bare.cpuPerRequestUs.toFixed(1)} µs/req, a plain \`node:http\` ` +
    `server ${node.cpuPerRequestUs.toFixed(1)} µs/req in the same rounds (${verdict}).`
  )
}

/** The Markdown report: context, the efficiency table, concurrency, migrations. */
export function renderReport(
  summaries: readonly CaseSummary[],
  concurrency: readonly ConcurrencyOutcome[],
  migrations: readonly MigrationOutcome[],
  context: ReportContext
): string {
  const cpu = cpus()
  const { load } = context
  const failed = failedCases(summaries)
  return [
    '# typed-sessions: server efficiency',
    '',
    `- Command: \`${context.command}\``,
    `- Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    `- Date: ${context.date.toISOString()}`,
    `- Load: autocannon, ${load.connections} connections, ${load.warmup} s warm-up then ${load.duration} s ` +
      `measured, ${context.rounds} interleaved round(s); server CPU = user + system of the server process.`,
    ...(summaries.length === 0
      ? []
      : [
          '',
          '## Server CPU per request',
          '',
          ...renderTable(summaries),
          '',
          renderCrossCheck(summaries),
          ...(failed.length === 0
            ? []
            : [
                '',
                `**Failed:** ${failed.map((s) => `${s.variant.name} (${s.visitor})`).join(', ')}.`,
              ]),
          '',
          'Efficiency is bare Hono’s CPU per request divided by the case’s, taken within each',
          'round (so a drift of the shared machine cancels) and shown as the median with its',
          'spread over rounds. Returning visitors: one session per connection, primed before the',
          'load. New visitors send no cookie, so every request creates a session. Store calls',
          'count the engine’s calls on its store (each one network round trip for the server',
          'stores); the CPU of a networked store’s server is not included.',
        ]),
    ...renderConcurrency(concurrency),
    ...(migrations.length === 0 ? [] : renderMigrationSection(migrations, context.migration)),
  ].join('\n')
}
