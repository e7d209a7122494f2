/**
 * `npm run bench`: server CPU per request of the session middleware against bare Hono and the
 * peer libraries, on each store; then, in this process, the schema migration benchmarks. Each
 * server variant is served by its own child process; this process only generates load and reads
 * the child's CPU time (and store calls) around the measured window. See `--help`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { ServerUnavailable, startServer } from './child.js'
import { measure } from './measure.js'
import { findMigrationBench, migrationBenches, type MigrationBench } from './migration.js'
import { readOptions, type BenchOptions } from './options.js'
import { hasLoadErrors, renderReport, type MigrationOutcome, type Outcome } from './report.js'
import { checkVariant } from './sanity.js'
import { variants, type Variant } from './variants.js'

const RESULTS = fileURLToPath(new URL('./results/latest.md', import.meta.url))

async function runVariant(variant: Variant, options: BenchOptions): Promise<Outcome> {
  let server
  try {
    server = await startServer(variant.name, options.profileDir)
    const visitors = options.load.connections
    const load = await checkVariant(variant, `http://127.0.0.1:${server.port}/`, visitors)
    const measurement = await measure(server, options.load, load)
    return { variant, measurement }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`  ${variant.name}: ${reason}`)
    // Only "its server is down" is n/a for one of ours; anything else is a failure.
    const serverDown = variant.service !== undefined && error instanceof ServerUnavailable
    return { variant, unavailable: reason, serverDown }
  } finally {
    await server?.stop()
  }
}

async function runMigrationBench(
  bench: MigrationBench,
  options: BenchOptions
): Promise<MigrationOutcome> {
  try {
    return { bench, result: await bench.run(options.migration) }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`  ${bench.name}: ${reason}`)
    return { bench, failed: reason }
  }
}

/** The round with the median server CPU per request; a variant that ever failed is its failure. */
function medianOutcome(runs: Outcome[]): Outcome {
  const failure = runs.find((run) => !('measurement' in run))
  if (failure !== undefined) return failure
  const measured = runs as Extract<Outcome, { measurement: unknown }>[]
  const sorted = [...measured].sort(
    (a, b) => a.measurement.cpuPerRequestUs - b.measurement.cpuPerRequestUs
  )
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

interface Selection {
  variants: readonly Variant[]
  migrations: readonly MigrationBench[]
}

function select(only: readonly string[] | undefined): Selection {
  if (only === undefined) return { variants, migrations: migrationBenches }
  const known = [...variants.map((v) => v.name), ...migrationBenches.map((b) => b.name)]
  for (const name of only) {
    if (!known.includes(name)) {
      throw new Error(`Unknown benchmark "${name}"; known: ${known.join(', ')}.`)
    }
  }
  return {
    variants: only.flatMap((name) => variants.filter((v) => v.name === name)),
    migrations: only.flatMap((name) => findMigrationBench(name) ?? []),
  }
}

let options: BenchOptions
let selected: Selection
try {
  options = readOptions(process.argv.slice(2), process.env)
  selected = select(options.only)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exit(2)
}
const date = new Date()
// In-process and first, while this process has done nothing else yet.
const migrations: MigrationOutcome[] = []
for (const bench of selected.migrations) {
  console.error(`benchmarking ${bench.name}…`)
  migrations.push(await runMigrationBench(bench, options))
}
// Interleaved rounds: every variant once per round, so a drift of this shared machine (other
// processes, thermal state) lands on every variant alike; each variant's median round is kept.
const rounds: Outcome[][] = selected.variants.map(() => [])
for (let round = 1; round <= options.rounds; round++) {
  for (const [index, variant] of selected.variants.entries()) {
    console.error(`benchmarking ${variant.name} (round ${round} of ${options.rounds})…`)
    rounds[index]!.push(await runVariant(variant, options))
  }
}
const outcomes = rounds.map(medianOutcome)

const report = renderReport(outcomes, migrations, {
  command: options.command,
  load: options.load,
  migration: options.migration,
  rounds: options.rounds,
  date,
})
console.log(report)
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true })
await writeFile(RESULTS, report)
console.error(`written to ${RESULTS}`)

// A peer library that cannot run, or a store whose server is down, is reported, not fatal;
// ours failing, load errors, or a failed migration benchmark are.
const failed =
  outcomes.some((o) =>
    'measurement' in o ? hasLoadErrors(o.measurement) : !o.variant.peer && !o.serverDown
  ) || migrations.some((m) => 'failed' in m)
if (failed) process.exitCode = 1
