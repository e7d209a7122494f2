/**
 * `npm run bench`: server CPU per request of the session middleware against bare Hono and the
 * peer libraries. Each variant is served by its own child process; this process only generates
 * load and reads the child's CPU time around the measured window. See `--help`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startServer } from './child.js'
import { measure } from './measure.js'
import { readOptions, type BenchOptions } from './options.js'
import { hasLoadErrors, renderReport, type Outcome } from './report.js'
import { checkVariant } from './sanity.js'
import { variants, findVariant, type Variant } from './variants.js'

const RESULTS = fileURLToPath(new URL('./results/latest.md', import.meta.url))

async function runVariant(variant: Variant, options: BenchOptions): Promise<Outcome> {
  let server
  try {
    server = await startServer(variant.name, options.profileDir)
    const request = await checkVariant(variant, `http://127.0.0.1:${server.port}/`)
    const measurement = await measure(server, options.load, request.headers)
    return { variant, measurement }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`  ${variant.name}: ${reason}`)
    return { variant, unavailable: reason }
  } finally {
    await server?.stop()
  }
}

function selectVariants(only: readonly string[] | undefined): readonly Variant[] {
  return only === undefined ? variants : only.map(findVariant)
}

let options: BenchOptions
let selected: readonly Variant[]
try {
  options = readOptions(process.argv.slice(2), process.env)
  selected = selectVariants(options.only)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exit(2)
}
const date = new Date()
const outcomes: Outcome[] = []
for (const variant of selected) {
  console.error(`benchmarking ${variant.name}…`)
  outcomes.push(await runVariant(variant, options))
}

const report = renderReport(outcomes, { command: options.command, load: options.load, date })
console.log(report)
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true })
await writeFile(RESULTS, report)
console.error(`written to ${RESULTS}`)

// A peer library that cannot run is reported, not fatal; ours failing, or load errors, are.
const failed = outcomes.some((o) =>
  'measurement' in o ? hasLoadErrors(o.measurement) : !o.variant.peer
)
if (failed) process.exitCode = 1
