/**
 * `npm run bench`: server CPU per request of the session middleware against bare Hono and the
 * peer libraries, new and returning visitors, on each store; the concurrency benchmark; then, in
 * this process, the schema migration benchmarks. Each server variant is served by its own child
 * process; this process only generates load and reads the child's CPU time around the measured
 * window. A full run (no `--quick`, no `--only`) also writes the chart and the README table.
 */
import { basename } from 'node:path'
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { renderChart } from './chart.js'
import { ServerUnavailable, startServer } from './child.js'
import { runConcurrency, type ConcurrencyOutcome } from './concurrency.js'
import { measure } from './measure.js'
import { findMigrationBench, migrationBenches, type MigrationBench } from './migration.js'
import { readOptions, type BenchOptions } from './options.js'
import { updateBenchmarkDocs } from './readme.js'
import {
  failedCases,
  renderReport,
  summarize,
  type CaseSummary,
  type MigrationOutcome,
  type Outcome,
} from './report.js'
import { checkCase } from './sanity.js'
import { variants, type BenchCase, type Variant } from './variants.js'

const results = (file: string) => fileURLToPath(new URL(`./results/${file}`, import.meta.url))

async function runCase(benchCase: BenchCase, options: BenchOptions): Promise<Outcome> {
  const { variant } = benchCase
  let server
  try {
    server = await startServer(variant.name, options.profileDir, variant.tree)
    const origin = `http://127.0.0.1:${server.port}`
    const load = await checkCase(benchCase, origin, options.load.connections)
    return { ...benchCase, measurement: await measure(server, options.load, load) }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`  ${variant.name} (${benchCase.visitor}): ${reason}`)
    // Only "its server is down" is n/a for one of ours; anything else is a failure.
    const serverDown = variant.service !== undefined && error instanceof ServerUnavailable
    return { ...benchCase, unavailable: reason, serverDown }
  } finally {
    await server?.stop()
  }
}

async function runMigrationBench(bench: MigrationBench, options: BenchOptions) {
  try {
    return { bench, result: await bench.run(options.migration) }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`  ${bench.name}: ${reason}`)
    return { bench, failed: reason }
  }
}

/** Our `variant` served from a `--previous` checkout: same name there, no targets here. */
function previousOf(variant: Variant, tree: string, named: boolean): Variant {
  const build = named ? `build in ${basename(tree)}` : 'previous build'
  const previous: Variant = { ...variant, label: `${variant.label} — ${build}`, tree }
  delete previous.targets
  return previous
}

function selectCases(
  only: readonly string[] | undefined,
  previous: readonly string[] = []
): BenchCase[] {
  const all = variants.flatMap((variant) =>
    variant.visitors.flatMap((visitor) => [
      { variant, visitor },
      ...(variant.group === 'ours' ? previous : []).map((tree) => ({
        variant: previousOf(variant, tree, previous.length > 1),
        visitor,
      })),
    ])
  )
  if (only === undefined) return all
  const named = (name: string) => all.filter((c) => c.variant.name === name)
  // Ratios need bare Hono in the same rounds.
  return all.filter((c) => c.variant.name === 'bare' || only.some((n) => named(n).includes(c)))
}

let options: BenchOptions
try {
  options = readOptions(process.argv.slice(2), process.env)
  const known = [...variants.map((v) => v.name), ...migrationBenches.map((b) => b.name)]
  for (const name of options.only ?? []) {
    if (!known.includes(name) && name !== 'concurrency') {
      throw new Error(`Unknown benchmark "${name}"; known: ${known.join(', ')}, concurrency.`)
    }
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exit(2)
}
const only = options.only
const date = new Date()
// In-process and first, while this process has done nothing else yet.
const migrations: MigrationOutcome[] = []
for (const bench of only === undefined
  ? migrationBenches
  : only.flatMap((name) => findMigrationBench(name) ?? [])) {
  console.error(`benchmarking ${bench.name}…`)
  migrations.push(await runMigrationBench(bench, options))
}
// Interleaved rounds: every case once per round, so a drift of this shared machine (other
// processes, thermal state) lands on every case alike; ratios are taken within a round.
const cases =
  only === undefined || only.some((n) => variants.some((v) => v.name === n))
    ? selectCases(only, options.previous)
    : []
const rounds: Outcome[][] = []
for (let round = 1; round <= options.rounds && cases.length > 0; round++) {
  const outcomes: Outcome[] = []
  for (const benchCase of cases) {
    console.error(`benchmarking ${benchCase.variant.name}, ${benchCase.visitor} (round ${round})…`)
    outcomes.push(await runCase(benchCase, options))
  }
  rounds.push(outcomes)
}
const summaries: CaseSummary[] = cases.map((benchCase, index) =>
  summarize(
    benchCase,
    rounds.map((round) => round[index]!),
    rounds.map((round) => round[0]!)
  )
)
let concurrency: ConcurrencyOutcome[] = []
if (only === undefined || only.includes('concurrency')) {
  console.error('benchmarking concurrent updates of one session…')
  concurrency = await runConcurrency(options.concurrency)
}

const context = { ...options, date }
const report = renderReport(summaries, concurrency, migrations, context)
console.log(report)
await mkdir(results(''), { recursive: true })
const full = only === undefined && !options.quick && options.previous === undefined
await writeFile(results('latest.md'), report)
if (summaries.length > 0) {
  await writeFile(results(full ? 'chart.svg' : 'latest.svg'), renderChart(summaries, context))
}
if (full) await updateBenchmarkDocs(summaries, concurrency, context)
console.error(
  `written to ${results('latest.md')}${full ? ', chart.svg, docs/benchmarks.md and README.md' : ''}`
)

// A peer that cannot run, or a store whose server is down, is reported, not fatal; ours
// failing, load errors, a failed concurrency check or a failed migration benchmark are.
// In CI (as in the store tests) a store whose server is down fails the run instead.
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'
const failed =
  failedCases(summaries, ci).length > 0 ||
  concurrency.some((c) => c.failed !== undefined || (ci && c.unavailable !== undefined)) ||
  migrations.some((m) => 'failed' in m)
if (failed) process.exitCode = 1
