import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { format, resolveConfig } from 'prettier'
import type { ConcurrencyOutcome } from './concurrency.js'
import { renderConcurrencyTable } from './concurrency-report.js'
import {
  median,
  renderCrossCheck,
  renderTable,
  type CaseSummary,
  type ReportContext,
} from './report.js'
import type { Visitor } from './variants.js'

/** Where a full run writes: the tables into the benchmarks page, the headline into the README. */
export interface BenchmarkDocs {
  /** Holds `<!-- bench:headline -->…<!-- /bench:headline -->` in its intro. */
  readme: string
  /** Holds the `bench:table` and `bench:concurrency` markers. */
  benchmarks: string
}

const DEFAULT_DOCS: BenchmarkDocs = {
  readme: fileURLToPath(new URL('../README.md', import.meta.url)),
  benchmarks: fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)),
}

/** The variant the headline speaks for: the README's counter on the default MemoryStore. */
const HEADLINE_VARIANT = 'ours'

/**
 * Replaces what lies between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, markers kept:
 * `lines` on lines of their own, or one `inline` text on the markers' line.
 */
function replaceBetween(file: string, text: string, name: string, body: string[] | string) {
  const open = `<!-- bench:${name} -->`
  const close = `<!-- /bench:${name} -->`
  const start = text.indexOf(open)
  const end = text.indexOf(close)
  if (start === -1 || end < start) {
    throw new Error(
      `${file} has no "${open}" … "${close}" markers for the benchmark ${name}: put them where it goes.`
    )
  }
  const inner = typeof body === 'string' ? body : `\n${body.join('\n')}\n`
  return `${text.slice(0, start + open.length)}${inner}${text.slice(end)}`
}

const ratioOf = (s: CaseSummary | undefined) =>
  s?.median === undefined || s.ratios.length === 0 ? undefined : median(s.ratios)

/** `0.46 of bare Hono (fastest peer: hono-sessions, …, 0.41)` for one kind of visitor. */
function headlineFor(summaries: readonly CaseSummary[], visitor: Visitor): string {
  const ours = ratioOf(
    summaries.find((s) => s.variant.name === HEADLINE_VARIANT && s.visitor === visitor)
  )
  const peers = summaries
    .filter((s) => s.variant.group === 'peer' && s.visitor === visitor)
    .flatMap((s) => {
      const ratio = ratioOf(s)
      return ratio === undefined ? [] : [{ label: s.variant.label, ratio }]
    })
    .sort((a, b) => b.ratio - a.ratio)
  const fastest = peers[0]
  const oursText = ours === undefined ? 'n/a' : `**${ours.toFixed(2)}**`
  const peerText =
    fastest === undefined
      ? 'no peer measured'
      : `fastest peer: ${fastest.label.replace(/ \(fastest\)$/, '')}, ${fastest.ratio.toFixed(2)}`
  return `${oursText} (${peerText})`
}

/**
 * The README's one-line headline, from the same run as the tables: the counter's efficiency
 * (bare Hono's CPU per request ÷ ours) for a returning and a new visitor, beside the fastest peer.
 */
export function renderHeadline(summaries: readonly CaseSummary[], context: ReportContext): string {
  return (
    `Server CPU per request against bare Hono (1.00), the counter on the default MemoryStore: ` +
    `returning visitor ${headlineFor(summaries, 'returning')}, new visitor ` +
    `${headlineFor(summaries, 'new')}; \`${context.command}\`, ` +
    `${context.date.toISOString().slice(0, 10)}.`
  )
}

/** Formatted as `npm run lint` checks it (aligned tables). */
async function formatted(file: string, text: string): Promise<string> {
  const config = (await resolveConfig(file)) ?? {}
  return format(text, { ...config, filepath: file })
}

/**
 * Writes a full run's tables into the benchmarks page and its headline into the README, so
 * neither can go stale. Both files are checked for their markers before either is written.
 */
export async function updateBenchmarkDocs(
  summaries: readonly CaseSummary[],
  concurrency: readonly ConcurrencyOutcome[],
  context: ReportContext,
  docs: BenchmarkDocs = DEFAULT_DOCS
): Promise<void> {
  const { load } = context
  const heading =
    `Measured ${context.date.toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `\`${context.command}\` (${context.rounds} interleaved rounds, ${load.connections} ` +
    `connections, ${load.duration} s measured each):`
  const read = (file: string) =>
    readFile(file, 'utf8').catch((error: unknown) => {
      throw new Error(`cannot read ${file} to write the benchmark results into it`, {
        cause: error,
      })
    })
  let page = await read(docs.benchmarks)
  page = replaceBetween(docs.benchmarks, page, 'table', [
    '',
    heading,
    '',
    ...renderTable(summaries),
    '',
    renderCrossCheck(summaries),
    '',
  ])
  if (concurrency.length > 0) {
    page = replaceBetween(docs.benchmarks, page, 'concurrency', [
      '',
      ...renderConcurrencyTable(concurrency),
      '',
    ])
  }
  const readme = replaceBetween(
    docs.readme,
    await read(docs.readme),
    'headline',
    renderHeadline(summaries, context)
  )
  await writeFile(docs.benchmarks, await formatted(docs.benchmarks, page))
  await writeFile(docs.readme, await formatted(docs.readme, readme))
}
