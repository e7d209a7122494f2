/**
 * How much of a flood it takes to evict a user who logged in from the default MemoryStore
 * (10,000 sessions, 64 MiB), through the middleware (`app.request`, the floods of issue 15).
 * 50 users log in (`auth.login`, so `cycleId`) and do not come back until the flood is over;
 * the store is looked at by `scan` along the way, which does not count as a use.
 *
 *   npx tsx bench/memory-flood.ts
 *
 * Prints a Markdown table: the README's MemoryStore section quotes it.
 */
import { MemoryStore } from '../src/stores/memory-store.js'
import {
  runFlood,
  runLoginDuringFlood,
  type FloodOptions,
  type FloodResult,
} from '../test/helpers/memory-flood.js'

const MiB = 1024 * 1024
const number = (n: number) => n.toLocaleString('en-US')
const mebibytes = (bytes: number) => (bytes === 0 ? '0' : `${number(Math.round(bytes / MiB))} MiB`)

const floods: [string, FloodOptions][] = [
  ['cookie-less writes', { kind: 'cookie-less', sessions: 100_000, checkEvery: 1_000 }],
  ['new sessions, each sent back once', { kind: 'echo', sessions: 50_000, checkEvery: 1_000 }],
  ['1 MiB of client text each, sent back once', { kind: 'large', sessions: 640, checkEvery: 10 }],
  // The limit: logins earn the rank, so an attacker with an account who may log in unchecked can.
  ['logins to one account', { kind: 'login', sessions: 20_000, checkEvery: 250 }],
]

const row = (cells: string[]) => `| ${cells.join(' | ')} |`
console.log(
  row(['flood', 'requests', 'client text', 'first logged-in user evicted', 'logged out (of 50)'])
)
console.log(row(['---', '---:', '---:', '---:', '---:']))
for (const [name, options] of floods) {
  const started = performance.now()
  const result: FloodResult = await runFlood(new MemoryStore(), options)
  const evicted =
    result.firstEvictionAt === undefined
      ? 'never'
      : `after ${number(result.firstEvictionAt)} requests`
  console.log(
    row([
      `${number(options.sessions)} × ${name}`,
      number(result.requests),
      mebibytes(result.bytes),
      evicted,
      String(result.loggedOut),
    ])
  )
  console.error(`  (${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`)
}
const during = await runLoginDuringFlood(new MemoryStore())
console.log(
  row([
    `50 logins during cookie-less writes, each user back ${number(during.gap.min)} to ${number(during.gap.max)} requests later (2–5 s at 10,000/s)`,
    number(during.requests),
    '0',
    '—',
    String(during.loggedOut),
  ])
)
