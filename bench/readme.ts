import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { format, resolveConfig } from 'prettier'
import type { ConcurrencyOutcome } from './concurrency.js'
import { renderConcurrencyTable } from './concurrency-report.js'
import { renderCrossCheck, renderTable, type CaseSummary, type ReportContext } from './report.js'

const README = fileURLToPath(new URL('../README.md', import.meta.url))

/** Replaces what lies between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, markers kept. */
function replaceBetween(text: string, name: string, lines: readonly string[]): string {
  const open = `<!-- bench:${name} -->`
  const close = `<!-- /bench:${name} -->`
  const start = text.indexOf(open)
  const end = text.indexOf(close)
  if (start === -1 || end < start) {
    throw new Error(`README.md has no "${open}" … "${close}" markers for the benchmark ${name}.`)
  }
  return `${text.slice(0, start + open.length)}\n${lines.join('\n')}\n${text.slice(end)}`
}

/** Writes a full run's tables into the README's benchmark section, so it cannot go stale. */
export async function updateReadme(
  summaries: readonly CaseSummary[],
  concurrency: readonly ConcurrencyOutcome[],
  context: ReportContext
): Promise<void> {
  const { load } = context
  const heading =
    `Measured ${context.date.toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `\`${context.command}\` (${context.rounds} interleaved rounds, ${load.connections} ` +
    `connections, ${load.duration} s measured each):`
  let text = await readFile(README, 'utf8')
  text = replaceBetween(text, 'table', [
    '',
    heading,
    '',
    ...renderTable(summaries),
    '',
    renderCrossCheck(summaries),
    '',
  ])
  if (concurrency.length > 0) {
    text = replaceBetween(text, 'concurrency', ['', ...renderConcurrencyTable(concurrency), ''])
  }
  // Formatted as `npm run lint` checks it (aligned tables).
  const config = (await resolveConfig(README)) ?? {}
  await writeFile(README, await format(text, { ...config, filepath: README }))
}
