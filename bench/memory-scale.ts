/**
 * The MemoryStore at scale, through the engine: heap bytes per counter session, the cost of a
 * create in a full store against an empty one, and the longest event-loop pause while filling,
 * evicting, expiring and deleting at that size.
 *
 *   npm run bench:memory                      # 1,000,000 sessions
 *   npm run bench:memory -- --sessions 200000
 *
 * Runs with `node --expose-gc` (the script line passes it) so heap figures are taken after a
 * full collection. Each session is what the counter app writes: `{ counter: 1 }`, created by
 * `new Session({ store })`, `set`, `save`.
 */
import { parseArgs } from 'node:util'
import { availableParallelism, loadavg } from 'node:os'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { Session } from '../src/core/session.js'
import type { SessionRecord, SessionStore } from '../src/core/store.js'
import { MemoryStore } from '../src/stores/memory-store.js'

const { values } = parseArgs({
  options: { sessions: { type: 'string', default: '1000000' } },
})
const SESSIONS = Number(values.sessions)
/** Creates timed per round when comparing a full store with an empty one. */
const TIMED_CREATES = Math.min(50_000, SESSIONS)
const ROUNDS = 3
/** Creates between two yields to the event loop: the work a request batch would do. */
const YIELD_EVERY = 50
const DAY = 86_400_000

const collect = (globalThis as { gc?: () => void }).gc
if (collect === undefined) throw new Error('Run with node --expose-gc (npm run bench:memory).')
const gc: () => void = collect

/** A clock the benchmark moves by hand, shared by the engine and the store. */
let clock = Date.now()
const now = () => clock

/** A store call whose synchronous part took more than LONG_CALL_MS of CPU. */
interface LongCall {
  cpu: number
  start: number
  end: number
}
const LONG_CALL_MS = 0.5
let longCalls: LongCall[] = []

/**
 * `store` with each call's synchronous part timed (a MemoryStore does all its work there), in
 * CPU time of the process: on a shared machine, wall time also counts the moments the
 * scheduler gave the core to another process, which no code of ours can avoid.
 */
function timed(store: MemoryStore): SessionStore {
  const time = <T>(call: () => Promise<T>): Promise<T> => {
    const start = performance.now()
    const cpu = process.cpuUsage()
    const result = call()
    const { user, system } = process.cpuUsage(cpu)
    if (user + system > LONG_CALL_MS * 1000) {
      longCalls.push({ cpu: (user + system) / 1000, start, end: performance.now() })
    }
    return result
  }
  return {
    create: (record: SessionRecord) => time(() => store.create(record)),
    load: (key: string) => time(() => store.load(key)),
    save: (record: SessionRecord, expected?: number) => time(() => store.save(record, expected)),
    delete: (key: string) => time(() => store.delete(key)),
  }
}

/** Garbage collections, to tell a store call's own work from a collection that ran inside it. */
let collections: PerformanceEntry[] = []
new PerformanceObserver((list) => collections.push(...list.getEntries())).observe({
  entryTypes: ['gc'],
})

/** What one phase paused: the store's own longest call, and the longest collection. */
interface Pauses {
  loopMax: number
  loopP99: number
  storeCall: number
  collection: number
}

/** Runs `phase` while measuring its pauses (see `Pauses`). */
async function measurePauses(phase: () => Promise<void>): Promise<Pauses> {
  longCalls = []
  collections = []
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  await phase()
  histogram.disable()
  await new Promise((resolve) => setTimeout(resolve, 10)) // let the observer deliver
  const during = (call: LongCall, gc: PerformanceEntry) =>
    gc.startTime < call.end && gc.startTime + gc.duration > call.start
  const ownCalls = longCalls.filter((call) => !collections.some((gc) => during(call, gc)))
  return {
    loopMax: histogram.max / 1e6,
    loopP99: histogram.percentile(99) / 1e6,
    storeCall: Math.max(0, ...ownCalls.map((call) => call.cpu)),
    collection: Math.max(0, ...collections.map((gc) => gc.duration)),
  }
}

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

/** Creates `count` counter sessions through the engine, yielding every YIELD_EVERY. */
async function createSessions(store: SessionStore, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const session = new Session({ store, now })
    await session.set('counter', 1)
    await session.save()
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop()
  }
}

/** CPU microseconds of the process (garbage collection included) per create into `store`. */
async function timeCreates(store: SessionStore, count: number): Promise<number> {
  const start = process.cpuUsage()
  await createSessions(store, count)
  const { user, system } = process.cpuUsage(start)
  return (user + system) / count
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

const options = { maxSessions: SESSIONS, maxBytes: 2 ** 30, now }
console.log(`MemoryStore at ${SESSIONS.toLocaleString('en')} sessions (node ${process.version})`)

// Warm the engine and the JIT on a throwaway store, so the heap baseline holds no first-use cost.
await createSessions(timed(new MemoryStore(options)), 20_000)
gc()
/** The JavaScript heap plus the typed arrays' memory, which lives outside it. */
const memoryUsed = () => {
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}
const heapBefore = memoryUsed()
const memoryStore = new MemoryStore(options)
const store = timed(memoryStore)
const fillPauses = await measurePauses(() => createSessions(store, SESSIONS))
gc()
const heapAfter = memoryUsed()
const perSession = (heapAfter - heapBefore) / memoryStore.size
console.log(
  `heap and typed arrays: ${mb(heapAfter - heapBefore)} for ${memoryStore.size.toLocaleString('en')} sessions, ${perSession.toFixed(0)} bytes each (target <= 300)`
)

// A create into the full store (each one evicts) against one into an empty store, interleaved.
const empty: number[] = []
const full: number[] = []
const evictPauses = await measurePauses(async () => {
  for (let round = 0; round < ROUNDS; round++) {
    empty.push(await timeCreates(timed(new MemoryStore(options)), TIMED_CREATES))
    full.push(await timeCreates(store, TIMED_CREATES))
  }
})
const ratio = median(full) / median(empty)
console.log(
  `create: ${median(empty).toFixed(1)} µs into an empty store, ${median(full).toFixed(1)} µs into the full one: ${ratio.toFixed(2)}x (target <= 1.5x; medians of ${ROUNDS} rounds of ${TIMED_CREATES.toLocaleString('en')})`
)

// Every record expires: new sessions now replace expired ones, then deleteExpired takes the rest.
clock += 15 * DAY
let deleteCpuPerChunk = 0
const expiredPauses = await measurePauses(async () => {
  await createSessions(store, Math.ceil(SESSIONS / 100))
  const cpu = process.cpuUsage()
  const deleted = await memoryStore.deleteExpired()
  const { user, system } = process.cpuUsage(cpu)
  deleteCpuPerChunk = (user + system) / 1000 / Math.ceil(deleted / 1024)
  console.log(
    `deleteExpired: ${deleted.toLocaleString('en')} expired records, ${((user + system) / deleted).toFixed(2)} µs of CPU each, ${deleteCpuPerChunk.toFixed(2)} ms per chunk of 1,024 between yields`
  )
})

const phases = { fill: fillPauses, evict: evictPauses, expired: expiredPauses }
console.log(
  `pauses in ms (target <= 5 ms from the store; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores):`
)
console.log(
  '| phase | longest store call (CPU, no GC inside) | longest GC | event loop p99 | event loop max |'
)
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const [phase, p] of Object.entries(phases)) {
  console.log(
    `| ${phase} | ${p.storeCall.toFixed(2)} | ${p.collection.toFixed(1)} | ${p.loopP99.toFixed(1)} | ${p.loopMax.toFixed(1)} |`
  )
}
