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
import { readFileSync } from 'node:fs'
import { Session as Inspector } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { availableParallelism, loadavg } from 'node:os'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { Session } from '../src/core/session.js'
import type { SessionStore } from '../src/core/store.js'
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

/**
 * CPU time of the main thread in milliseconds (Linux: /proc/thread-self/schedstat). On a shared
 * machine the wall time of a pause also counts the moments the scheduler gave the core to
 * another process; the main thread's own CPU time is the pause it would be on an idle core.
 */
function threadCpu(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6
}

/** Garbage collections of the phase being measured (their atomic pauses, in wall time). */
let collections: PerformanceEntry[] = []
new PerformanceObserver((list) => collections.push(...list.getEntries())).observe({
  entryTypes: ['gc'],
})

/** What one phase paused the event loop for, in milliseconds. */
interface Pauses {
  /** The most main-thread CPU spent between two turns of the event loop. */
  turnCpu: number
  /** The same, among turns in which no garbage collection paused the thread. */
  turnCpuNoGc: number
  /** Turns of more than 5 ms of main-thread CPU (the target), and of more than 1 ms. */
  turnsOver5: number
  turnsOver1: number
  loopP99: number
  loopMax: number
  collection: number
  /** Where the CPU of the longest turns went, from a CPU profile taken during the phase. */
  longTurnProfile: string
}

/** The CPU profiler, sampling every millisecond while a phase runs. */
const inspector = new Inspector()
inspector.connect()
await inspector.post('Profiler.enable')
await inspector.post('Profiler.setSamplingInterval', { interval: 1000 })

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** How many of the longest turns of a phase the profile summary covers. */
const PROFILED_TURNS = 10

/**
 * The samples of the profile that fall inside `turns` (monotonic µs), by where they were:
 * V8's garbage collector, the MemoryStore, the rest of typed-sessions, or anything else; as
 * shares of those samples, e.g. "GC 71 %, store 6 %, engine 15 %, other 8 % (212 samples)".
 */
function attribute(profile: CpuProfile, turns: readonly { start: number; end: number }[]): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const counts = { GC: 0, store: 0, engine: 0, other: 0 }
  const functions = new Map<string, number>()
  let time = profile.startTime
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i]!
    if (!turns.some((turn) => time >= turn.start && time <= turn.end)) return
    const { functionName, url } = byId.get(id)!.callFrame
    const name = `${functionName || '(anonymous)'}${url === '' ? '' : ` (${url.split('/').pop()})`}`
    functions.set(name, (functions.get(name) ?? 0) + 1)
    if (functionName === '(garbage collector)') counts.GC++
    else if (/\/stores\/memory-/.test(url)) counts.store++
    else if (/\/src\//.test(url)) counts.engine++
    else counts.other++
  })
  const total = counts.GC + counts.store + counts.engine + counts.other
  if (total === 0) return 'no samples in long turns'
  const share = (n: number) => `${Math.round((100 * n) / total)} %`
  const top = [...functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([name, n]) => `${name} ${share(n)}`)
    .join(', ')
  return `GC ${share(counts.GC)}, store ${share(counts.store)}, engine ${share(counts.engine)}, other ${share(counts.other)} (${total} samples; most: ${top})`
}

/** Monotonic microseconds, the clock of the CPU profile's timestamps. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

/** Runs `phase` while measuring its pauses (see `Pauses`). */
async function measurePauses(phase: () => Promise<void>): Promise<Pauses> {
  collections = []
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  // A check-phase callback on every turn of the loop: the CPU between two of them is one turn.
  let running = true
  // Started first: starting the profiler walks the heap, which is not a turn of the phase.
  await inspector.post('Profiler.start')
  let last = threadCpu()
  let lastTime = performance.now()
  let lastUs = monotonicUs()
  const longTurns: { cpu: number; start: number; end: number; startUs: number; endUs: number }[] =
    []
  const tick = () => {
    const cpu = threadCpu()
    const time = performance.now()
    const us = monotonicUs()
    if (cpu - last > 1) {
      longTurns.push({ cpu: cpu - last, start: lastTime, end: time, startUs: lastUs, endUs: us })
    }
    last = cpu
    lastTime = time
    lastUs = us
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  await phase()
  running = false
  histogram.disable()
  const { profile } = await inspector.post('Profiler.stop')
  const longest = [...longTurns]
    .sort((a, b) => b.cpu - a.cpu)
    .slice(0, PROFILED_TURNS)
    .map((turn) => ({ start: turn.startUs, end: turn.endUs }))
  await new Promise((resolve) => setTimeout(resolve, 10)) // let the observer deliver
  const withoutGc = longTurns.filter(
    (turn) =>
      !collections.some((gc) => gc.startTime < turn.end && gc.startTime + gc.duration > turn.start)
  )
  return {
    turnCpu: Math.max(1, ...longTurns.map((turn) => turn.cpu)),
    turnCpuNoGc: Math.max(1, ...withoutGc.map((turn) => turn.cpu)),
    turnsOver5: longTurns.filter((turn) => turn.cpu > 5).length,
    turnsOver1: longTurns.length,
    loopP99: histogram.percentile(99) / 1e6,
    loopMax: histogram.max / 1e6,
    collection: Math.max(0, ...collections.map((gc) => gc.duration)),
    longTurnProfile: attribute(profile as unknown as CpuProfile, longest),
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
await createSessions(new MemoryStore(options), 20_000)
/**
 * A full collection, then another once the thread has let go: the memory of a typed array is
 * released by a sweeper that runs after the collection, so the throwaway store's columns (a
 * million slots' worth) would otherwise still count in the baseline, or not, from run to run.
 */
async function settle(): Promise<void> {
  gc()
  await new Promise((resolve) => setTimeout(resolve, 200))
  gc()
}
await settle()
/** The JavaScript heap plus the typed arrays' memory, which lives outside it. */
const memoryUsed = () => {
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}
const heapBefore = memoryUsed()
const memoryStore = new MemoryStore(options)
const store = memoryStore
const fillPauses = await measurePauses(() => createSessions(store, SESSIONS))
await settle()
const heapAfter = memoryUsed()
const perSession = (heapAfter - heapBefore) / memoryStore.size
console.log(
  `heap and typed arrays: ${mb(heapAfter - heapBefore)} for ${memoryStore.size.toLocaleString('en')} sessions, ${perSession.toFixed(0)} bytes each (target <= 200)`
)

// A create into the full store (each one evicts) against one into an empty store, interleaved.
// Built beforehand: a store allocates its columns once, at construction, not in a request.
const constructing = threadCpu()
const emptyStores = Array.from({ length: ROUNDS }, () => new MemoryStore(options))
console.log(
  `new MemoryStore({ maxSessions: ${SESSIONS.toLocaleString('en')} }): ${((threadCpu() - constructing) / ROUNDS).toFixed(1)} ms of CPU, once`
)
const empty: number[] = []
const full: number[] = []
const evictPauses = await measurePauses(async () => {
  for (let round = 0; round < ROUNDS; round++) {
    empty.push(await timeCreates(emptyStores[round]!, TIMED_CREATES))
    full.push(await timeCreates(store, TIMED_CREATES))
  }
})
const ratio = median(full) / median(empty)
console.log(
  `create: ${median(empty).toFixed(1)} µs into an empty store, ${median(full).toFixed(1)} µs into the full one: ${ratio.toFixed(2)}x (target <= 1.5x; medians of ${ROUNDS} rounds of ${TIMED_CREATES.toLocaleString('en')})`
)

// Every record expires: new sessions now replace expired ones, then deleteExpired takes the rest.
clock += 15 * DAY
const expiredPauses = await measurePauses(async () => {
  await createSessions(store, Math.ceil(SESSIONS / 100))
  const cpu = process.cpuUsage()
  const deleted = await memoryStore.deleteExpired()
  const { user, system } = process.cpuUsage(cpu)
  console.log(
    `deleteExpired: ${deleted.toLocaleString('en')} expired records, ${((user + system) / deleted).toFixed(2)} µs of CPU each, yielding every 1,024 or after 1 ms`
  )
})

const phases = { fill: fillPauses, evict: evictPauses, expired: expiredPauses }
console.log(
  `pauses in ms (target <= 5 ms; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores, ${YIELD_EVERY} creates per turn):`
)
console.log(
  '| phase | longest turn, main-thread CPU: all / without a GC | event-loop delay p99 / max (wall) | longest GC pause (wall) |'
)
console.log('| --- | ---: | ---: | ---: |')
for (const [phase, p] of Object.entries(phases)) {
  console.log(
    `| ${phase} | ${p.turnCpu.toFixed(1)} / ${p.turnCpuNoGc.toFixed(1)} | ${p.loopP99.toFixed(1)} / ${p.loopMax.toFixed(1)} | ${p.collection.toFixed(1)} |`
  )
}
console.log(
  `turns over 5 ms / over 1 ms of main-thread CPU: ${Object.entries(phases)
    .map(([phase, p]) => `${phase} ${p.turnsOver5} / ${p.turnsOver1}`)
    .join(', ')}`
)
console.log(`CPU profile of the ${PROFILED_TURNS} longest turns of each phase, by where it went:`)
for (const [phase, p] of Object.entries(phases)) console.log(`- ${phase}: ${p.longTurnProfile}`)
inspector.disconnect()
