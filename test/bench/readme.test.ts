import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderHeadline, updateBenchmarkDocs } from '../../bench/readme.js'
import type { CaseSummary, ReportContext } from '../../bench/report.js'
import type { Measurement } from '../../bench/measure.js'
import type { Variant, Visitor } from '../../bench/variants.js'

/** A summary of `name` under `visitor` whose rounds measured these ratios to bare Hono. */
function summary(
  name: string,
  group: Variant['group'],
  visitor: Visitor,
  ratios: number[],
  label = name
): CaseSummary {
  const variant = {
    name,
    label,
    group,
    visitors: [visitor],
    path: '/',
    counter: true,
    stateful: true,
  }
  const measurement: Measurement = {
    requests: 1000,
    requestsPerSecond: 10_000,
    p99Ms: 5,
    cpuPerRequestUs: 23.3 / ratios[0]!,
    storeCallsPerRequest: undefined,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
  }
  return {
    variant: { ...variant, build: () => ({}) as never },
    visitor,
    median: measurement,
    ratios,
  }
}

const context: ReportContext = {
  command: 'npm run bench',
  load: { connections: 50, pipelining: 1, warmup: 1, duration: 5 } as ReportContext['load'],
  migration: { bulkRounds: 1, lazyRounds: 1 },
  rounds: 3,
  date: new Date('2026-12-03T10:00:00Z'),
}

const summaries = [
  summary('bare', 'baseline', 'anonymous', [1, 1, 1], 'bare Hono, no middleware'),
  summary('ours', 'ours', 'new', [0.39, 0.36, 0.4]),
  summary('ours', 'ours', 'returning', [0.46, 0.47, 0.46]),
  summary('ours-sqlite', 'ours', 'returning', [0.9, 0.9, 0.9]), // not the headline's variant
  summary(
    'plain',
    'peer',
    'new',
    [0.5, 0.24, 0.52],
    'hono-sessions, MemoryStore, raw id (fastest)'
  ),
  summary(
    'plain',
    'peer',
    'returning',
    [0.41, 0.2, 0.42],
    'hono-sessions, MemoryStore, raw id (fastest)'
  ),
  summary('jwe', 'peer', 'new', [0.08, 0.06, 0.14], '@hono/session (jose JWE cookie)'),
  summary('jwe', 'peer', 'returning', [0.05, 0.04, 0.08], '@hono/session (jose JWE cookie)'),
]

describe('the benchmark headline', () => {
  it("gives the counter's median ratios to bare Hono beside the fastest peer's, per visitor", () => {
    expect(renderHeadline(summaries, context)).toBe(
      'Server CPU per request against bare Hono (1.00), the counter on the default MemoryStore: ' +
        'returning visitor **0.46** (fastest peer: hono-sessions, MemoryStore, raw id, 0.41), ' +
        'new visitor **0.39** (fastest peer: hono-sessions, MemoryStore, raw id, 0.50); ' +
        '`npm run bench`, 2026-12-03.'
    )
  })

  it('says n/a for what the run could not measure', () => {
    const oursOnly = summaries.filter((s) => s.variant.group !== 'peer' && s.visitor !== 'new')
    expect(renderHeadline(oursOnly, context)).toContain(
      'returning visitor **0.46** (no peer measured), new visitor n/a (no peer measured)'
    )
  })
})

describe('updateBenchmarkDocs', () => {
  let dir: string
  let docs: { readme: string; benchmarks: string }
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-docs-'))
    docs = { readme: join(dir, 'README.md'), benchmarks: join(dir, 'benchmarks.md') }
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('writes the tables into the benchmarks page and the headline into the README, from one run', async () => {
    await writeFile(
      docs.readme,
      '# x\n\nFast: <!-- bench:headline -->old<!-- /bench:headline --> [more](docs/benchmarks.md)\n'
    )
    await writeFile(
      docs.benchmarks,
      '# Benchmarks\n\n<!-- bench:table -->\nold table\n<!-- /bench:table -->\n\nAfter.\n'
    )
    await updateBenchmarkDocs(summaries, [], context, docs)
    const readme = await readFile(docs.readme, 'utf8')
    expect(readme).toContain(
      `Fast: <!-- bench:headline -->${renderHeadline(summaries, context)}<!-- /bench:headline --> [more]`
    )
    const page = await readFile(docs.benchmarks, 'utf8')
    expect(page).not.toContain('old table')
    expect(page).toMatch(
      /<!-- bench:table -->\n\nMeasured 2026-12-03, Node v[\d.]+, `npm run bench` \(3 interleaved rounds/
    )
    expect(page).toMatch(
      /\| bare Hono, no middleware +\| – +\| +23\.3 \| +1\.00 \(1\.00–1\.00\) \|/
    )
    expect(page).toContain('<!-- /bench:table -->\n\nAfter.\n')
  })

  it('names the file whose markers are missing, and writes neither file then', async () => {
    await writeFile(docs.readme, '# no headline markers\n')
    await writeFile(docs.benchmarks, '<!-- bench:table -->\nold table\n<!-- /bench:table -->\n')
    await expect(updateBenchmarkDocs(summaries, [], context, docs)).rejects.toThrow(
      `${docs.readme} has no "<!-- bench:headline -->" … "<!-- /bench:headline -->" markers`
    )
    expect(await readFile(docs.benchmarks, 'utf8')).toContain('old table')
    await writeFile(docs.benchmarks, '# moved away\n')
    await expect(updateBenchmarkDocs(summaries, [], context, docs)).rejects.toThrow(
      `${docs.benchmarks} has no "<!-- bench:table -->"`
    )
  })
})
