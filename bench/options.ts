import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ConcurrencySettings } from './concurrency.js'
import type { LoadSettings } from './measure.js'
import type { MigrationSettings } from './migration.js'

/** What `npm run bench` was asked to do. */
export interface BenchOptions {
  load: LoadSettings
  concurrency: ConcurrencySettings
  /** A smoke run: short windows, one round; it writes neither the chart nor the README. */
  quick: boolean
  migration: MigrationSettings
  /** Variant (and migration benchmark) names to run, in the registry's order; all when absent. */
  only: readonly string[] | undefined
  /** Write a `--cpu-prof` profile of each server child to this folder. */
  profileDir: string | undefined
  /**
   * Checkouts of earlier builds (built, with their node_modules): each of our variants is also
   * served from each, in the same interleaved rounds, for an A/B of builds (or a step-by-step
   * comparison of several).
   */
  previous: readonly string[] | undefined
  /** The command line as typed, for the report. */
  command: string
  /**
   * How many times every server variant is measured, in interleaved rounds; the report shows
   * each variant's median round, so a drift of the shared machine hits every variant alike.
   */
  rounds: number
}

const USAGE = `npm run bench -- [--quick] [--duration <s>] [--warmup <s>] [--connections <n>]
                      [--rounds <n>] [--rate <req/s>] [--only <name,...>] [--profile <dir>]
                      [--previous <checkout,...>]
--only takes server variants (e.g. ours,ours-redis; bare is always measured, for the ratios),
concurrency, and the in-process migration benchmarks (migrate-store, lazy-upgrade); a store
whose server is down is n/a. --previous serves each of our variants also from each checkout named
(an earlier build: "npm ci && npm run build" there), in the same rounds, for an A/B of builds.
Only a full run (no --quick, no --only, no --previous) writes
bench/results/chart.svg and the README's tables; every run writes bench/results/latest.md.
Environment: BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS (flags win); REDIS_URL,
DATABASE_URL (PostgreSQL), MYSQL_URL for the store variants.`

/** Reads flags, then BENCH_* variables, then the defaults (or the `--quick` smoke defaults). */
export function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      rate: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      previous: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const quick = values.quick
  const duration = number('duration', values.duration ?? env.BENCH_DURATION, quick ? 1 : 5)
  if (duration === 0) throw new Error(`--duration must be more than 0 seconds.\n${USAGE}`)
  return {
    load: {
      connections: number('connections', values.connections ?? env.BENCH_CONNECTIONS, 50),
      pipelining: 1,
      rate: values.rate === undefined ? undefined : number('rate', values.rate, 0) || undefined,
      warmup: number('warmup', values.warmup ?? env.BENCH_WARMUP, quick ? 0.5 : 2),
      duration,
    },
    quick,
    concurrency: { sizes: [10, 50], bursts: quick ? 1 : 3 },
    migration: quick ? { bulkRounds: 3, lazyRounds: 9 } : { bulkRounds: 7, lazyRounds: 51 },
    only: values.only?.split(',').map((name) => name.trim()),
    profileDir: values.profile,
    previous: values.previous === undefined ? undefined : checkouts(values.previous),
    command: describeCommand(argv, env),
    rounds: Math.max(1, Math.round(number('rounds', values.rounds, quick ? 1 : 3))),
  }
}

/** The `--previous` checkouts, each refused at once unless it holds a build and its bench server. */
function checkouts(list: string): string[] {
  return list.split(',').map((entry) => {
    const path = entry.trim()
    if (path === '') throw new Error(`--previous has an empty entry in "${list}".\n${USAGE}`)
    const tree = resolve(path)
    for (const file of [join('bench', 'server.ts'), join('dist', 'index.js')]) {
      if (!existsSync(join(tree, file))) {
        throw new Error(
          `--previous ${path}: ${file} is missing there; give a checkout of an earlier build, after "npm ci && npm run build" in it.\n${USAGE}`
        )
      }
    }
    return tree
  })
}

function number(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!(value >= 0)) throw new Error(`--${name} takes a number >= 0, got "${raw}".\n${USAGE}`)
  return value
}

function describeCommand(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const vars = ['BENCH_DURATION', 'BENCH_WARMUP', 'BENCH_CONNECTIONS']
    .filter((name) => env[name] !== undefined)
    .map((name) => `${name}=${env[name]} `)
    .join('')
  const base = env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'tsx bench/run.ts'
  const args =
    argv.length === 0
      ? ''
      : env.npm_lifecycle_event === 'bench'
        ? ` -- ${argv.join(' ')}`
        : ` ${argv.join(' ')}`
  return `${vars}${base}${args}`
}
