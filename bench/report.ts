import { cpus } from 'node:os'
import type { Measurement, LoadSettings } from './measure.js'
import type { Variant } from './variants.js'

/** One line of the table: measured, or not available with the reason. */
export type Outcome =
  { variant: Variant; measurement: Measurement } | { variant: Variant; unavailable: string }

/** Context printed above the table. */
export interface ReportContext {
  command: string
  load: LoadSettings
  date: Date
}

/** A run is flagged when load requests failed: non-2xx answers, connection errors, timeouts. */
export function hasLoadErrors(measurement: Measurement): boolean {
  return measurement.non2xx + measurement.errors + measurement.timeouts > 0
}

/** The Markdown report: context, the table, what each variant is, and how to read it. */
export function renderReport(outcomes: readonly Outcome[], context: ReportContext): string {
  const bare = outcomes.find((o) => o.variant.name === 'bare')
  const bareCpu =
    bare !== undefined && 'measurement' in bare ? bare.measurement.cpuPerRequestUs : undefined
  const cpu = cpus()
  const { load } = context
  const flagged = outcomes.filter((o) => 'measurement' in o && hasLoadErrors(o.measurement))
  return [
    '# typed-sessions: server efficiency',
    '',
    `- Command: \`${context.command}\``,
    `- Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    `- Date: ${context.date.toISOString()}`,
    `- Load: autocannon, ${load.connections} connections, pipelining ${load.pipelining}, ` +
      `${load.warmup} s warm-up then a ${load.duration} s measured window, over loopback; ` +
      'each server in its own process, the load generator sharing the cores.',
    '- Targets: returning visitor ≥ 0.60 of bare, untouched ≥ 0.95 of bare.',
    '',
    '| variant | req/s | p99 ms | server CPU µs/req | efficiency vs bare | target | load errors |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
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
    ...outcomes.map((o) => `- \`${o.variant.name}\`: ${o.variant.description}`),
    '',
  ].join('\n')
}

function renderRow(outcome: Outcome, bareCpu: number | undefined): string {
  const { variant } = outcome
  const target = variant.target === undefined ? '' : `≥ ${variant.target.toFixed(2)}`
  if (!('measurement' in outcome)) {
    return `| ${variant.name} | n/a (${outcome.unavailable.replaceAll('|', '\\|')}) | | | | ${target} | |`
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
    errors,
    '',
  ]
    .join(' | ')
    .trim()
}
