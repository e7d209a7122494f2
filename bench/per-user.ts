/**
 * Sessions per user at scale (issue 16, item 9): what listing, revoking and a login with a limit
 * cost a user with 10 sessions in a store of 1,000,000 sessions (100,000 users), against the
 * same in a store of 1,000 (100 users), on Redis and PostgreSQL; and what the owner index costs
 * a returning visitor (a bound session against an unbound one, in the big store).
 *
 *   npm run bench:per-user                           # Redis and PostgreSQL, 100,000 users
 *   npm run bench:per-user -- --stores redis --users 10000
 *
 * The sessions are seeded in bulk straight through each driver, in the store's own layout
 * (bench/per-user-seed-*.ts; checked against what the store writes before anything is
 * measured), then every request goes through the app (`app.request`, typed-sessions/auth).
 * Samples alternate between the two stores and take a random user each time; each sample is
 * timed in wall time (the servers' work is in it) and counts the commands or statements sent.
 * Prints Markdown tables. Redis: database 13, keys `bench:per-user:*`; PostgreSQL: the schema
 * `bench_per_user`; both are removed at the end. One run at a time: a run starts by removing
 * what an earlier one left there.
 */
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { LIMIT, perUserBenchApp } from './per-user-app.js'
import { OPERATIONS, returningVisitor, sampleOperation, visit } from './per-user-ops.js'
import type { Operation, Sample, Subject } from './per-user-ops.js'
import { checkSeededLayout, loginTemplate, seedPopulation } from './per-user-records.js'
import type { SeededStore } from './per-user-records.js'
import { connectPostgresBench } from './per-user-seed-postgres.js'
import { connectRedisBench } from './per-user-seed-redis.js'

const { values } = parseArgs({
  options: {
    stores: { type: 'string', default: 'redis,postgres' },
    users: { type: 'string', default: '100000' },
    'small-users': { type: 'string', default: '100' },
    /** Samples of each operation on each store, over `rounds` rounds. */
    samples: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '10' },
    /** Counter requests of each visitor per returning-visitor round, and the rounds. */
    visits: { type: 'string', default: '200' },
    'visit-rounds': { type: 'string', default: '20' },
  },
})
const USERS = Number(values.users)
const SMALL_USERS = Number(values['small-users'])
const ROUNDS = Number(values.rounds)
const PER_ROUND = Math.ceil(Number(values.samples) / ROUNDS)
const VISITS = Number(values.visits)
const VISIT_ROUNDS = Number(values['visit-rounds'])

const number = (n: number) => n.toLocaleString('en-US')
const log = (line: string) => console.error(`  ${line}`)
const median = (list: readonly number[]) => quantile(list, 0.5)
/** Nearest rank. */
function quantile(list: readonly number[], q: number): number {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}
const ms = (micros: number) => (micros / 1000).toFixed(2)
/** Calls of a set of samples: one number when they all agree, else the range. */
function callsOf(samples: readonly Sample[]): string {
  const calls = samples.map((sample) => sample.calls)
  const [min, max] = [Math.min(...calls), Math.max(...calls)]
  return min === max ? String(min) : `${min}–${max}`
}

/** A PRNG with a seed (mulberry32): the same users in every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Backend {
  name: string
  open(label: string): SeededStore | Promise<SeededStore>
  close(): Promise<void>
}

async function seeded(backend: Backend, label: string, users: number): Promise<Subject> {
  const target = await backend.open(label)
  const population = { users, template: await loginTemplate(), at: Date.now() }
  const started = performance.now()
  await seedPopulation(target, population)
  log(
    `${backend.name}: seeded ${number(users * LIMIT)} sessions of ${number(users)} users in ${((performance.now() - started) / 1000).toFixed(1)} s`
  )
  await checkSeededLayout(target, population)
  return { target, app: perUserBenchApp(target.store), population }
}

/** One row of the operations table per operation. */
async function measureOperations(name: string, big: Subject, small: Subject): Promise<string[]> {
  const next = random(16)
  const samples = new Map<string, Sample[][]>() // `${operation}|big` → rounds → samples
  const of = (operation: Operation, size: string, round: number) => {
    const key = `${operation}|${size}`
    const rounds = samples.get(key) ?? Array.from({ length: ROUNDS }, () => [])
    samples.set(key, rounds)
    return rounds[round]!
  }
  for (const operation of OPERATIONS) await sampleOperation(big, operation, 0) // warm-up
  for (const operation of OPERATIONS) await sampleOperation(small, operation, 0)
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) {
      for (const operation of OPERATIONS) {
        const order = i % 2 === 0 ? (['big', 'small'] as const) : (['small', 'big'] as const)
        for (const size of order) {
          const subject = size === 'big' ? big : small
          const user = Math.floor(next() * subject.population.users)
          of(operation, size, round).push(await sampleOperation(subject, operation, user))
        }
      }
    }
    log(`${name}: round ${round + 1} of ${ROUNDS}`)
  }
  return OPERATIONS.map((operation) => {
    const rounds = (size: string) => samples.get(`${operation}|${size}`)!
    const all = (size: string) => rounds(size).flat()
    const micros = (size: string) => all(size).map((sample) => sample.micros)
    const ratio = median(
      rounds('big').map(
        (round, r) =>
          median(round.map((s) => s.micros)) / median(rounds('small')[r]!.map((s) => s.micros))
      )
    )
    const calls =
      callsOf(all('big')) === callsOf(all('small'))
        ? callsOf(all('big'))
        : `${callsOf(all('big'))} (1k: ${callsOf(all('small'))})`
    return row([
      operation,
      name,
      calls,
      ms(median(micros('small'))),
      ms(median(micros('big'))),
      ms(quantile(micros('small'), 0.99)),
      ms(quantile(micros('big'), 0.99)),
      ratio.toFixed(2),
    ])
  })
}

/**
 * The returning visitor in the big store: a bound and an unbound visitor's requests alternate
 * one by one (who goes first alternating too); per round, the median of each and their ratio.
 */
async function measureVisitor(name: string, big: Subject): Promise<string> {
  const cookies = {
    bound: await returningVisitor(big, 'returning-visitor'),
    unbound: await returningVisitor(big),
  }
  const kinds = ['bound', 'unbound'] as const
  const rounds: Record<(typeof kinds)[number], Sample[]>[] = []
  for (let round = -1; round < VISIT_ROUNDS; round++) {
    const samples = { bound: [] as Sample[], unbound: [] as Sample[] }
    for (let i = 0; i < VISITS; i++) {
      for (const kind of i % 2 === 0 ? kinds : [...kinds].reverse()) {
        samples[kind].push(await visit(big, cookies[kind]))
      }
    }
    if (round >= 0) rounds.push(samples) // round -1 warms up
  }
  const micros = (samples: Sample[]) => median(samples.map((sample) => sample.micros))
  const calls = (kind: (typeof kinds)[number]) => {
    const all = rounds.flatMap((round) => round[kind])
    return all.reduce((sum, sample) => sum + sample.calls, 0) / all.length
  }
  const of = (kind: (typeof kinds)[number]) => median(rounds.map((round) => micros(round[kind])))
  const ratio = median(rounds.map((round) => micros(round.bound) / micros(round.unbound)))
  return row([
    name,
    calls('bound').toFixed(2),
    calls('unbound').toFixed(2),
    ms(of('bound')),
    ms(of('unbound')),
    ratio.toFixed(3),
  ])
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`
const backends: Record<string, () => Promise<Backend>> = {
  redis: async () => ({
    name: 'Redis',
    ...(await connectRedisBench(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')),
  }),
  postgres: async () => ({
    name: 'PostgreSQL',
    ...(await connectPostgresBench(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
    )),
  }),
}

const loadBefore = loadavg()
const operationRows: string[] = []
const visitorRows: string[] = []
for (const kind of values.stores.split(',')) {
  const open = backends[kind]
  if (open === undefined) throw new Error(`--stores takes redis and/or postgres, got ${kind}`)
  const backend = await open()
  try {
    const big = await seeded(backend, 'big', USERS)
    const small = await seeded(backend, 'small', SMALL_USERS)
    operationRows.push(...(await measureOperations(backend.name, big, small)))
    visitorRows.push(await measureVisitor(backend.name, big))
  } finally {
    await backend.close()
  }
}
const loadAfter = loadavg()

const [big, small] = [number(USERS * LIMIT), number(SMALL_USERS * LIMIT)]
const load = (avg: number[]) => avg.map((n) => n.toFixed(1)).join(' ')
console.log(
  `Sessions per user (npm run bench:per-user, Node ${process.version}): a user with ${LIMIT} sessions in a store of ${big} sessions (${number(USERS)} users) against one of ${small} (${number(SMALL_USERS)} users); ${number(ROUNDS * PER_ROUND)} samples per operation and store, a random user each, the two stores alternating; wall ms per request through app.request; store calls: the commands (Redis; a script is one) or statements (PostgreSQL) of the request, which a revocation sends concurrently; the ratio is the median of ${ROUNDS} rounds' ratios of medians. Load average ${load(loadBefore)} before, ${load(loadAfter)} after (${availableParallelism()} cores, shared).`
)
console.log('')
console.log(
  row([
    'operation',
    'store',
    'store calls',
    `median, ${small}`,
    `median, ${big}`,
    `p99, ${small}`,
    `p99, ${big}`,
    `${big} ÷ ${small}`,
  ])
)
console.log(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const line of operationRows) console.log(line)
console.log('')
console.log(
  `A returning visitor of the counter (GET /count: a load and a save) in the store of ${big} sessions, bound to a user (session.bind) against unbound, the same data: their requests alternate, ${number(VISITS)} each per round; wall ms per request, the median of ${VISIT_ROUNDS} rounds' medians; the ratio is the median of the rounds' ratios.`
)
console.log('')
console.log(
  row([
    'store',
    'store calls/request, bound',
    'unbound',
    'ms/request, bound',
    'unbound',
    'bound ÷ unbound',
  ])
)
console.log(row(['---', '---:', '---:', '---:', '---:', '---:']))
for (const line of visitorRows) console.log(line)
