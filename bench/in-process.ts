/**
 * Where a request's CPU goes, without the network: each app's `fetch` behind
 * `@hono/node-server`'s real request listener, fed `IncomingMessage`/`ServerResponse` objects
 * with no socket (the response is serialized into the ServerResponse's buffer). This leaves out
 * the loopback TCP and the load generator, which dominate `npm run bench` and swing its figures,
 * and keeps everything the server itself does per request: the Node adapter, Hono, the middleware,
 * the engine, the store, header serialization.
 *
 *   npm run bench:in-process            # CPU µs and allocated bytes per request, per case
 *
 * CPU: rounds of 4,000 requests per case, interleaved; the minimum and the median round are shown
 * (on this shared machine the minimum is the cost, the rest is other processes and collections).
 * Allocation: V8's sampling heap profiler, counting what the garbage collector later freed.
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { Session as Inspector } from 'node:inspector/promises'
import { Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { buildBareApp, buildEmptyMiddlewareApp, buildPlainCookieApp } from './apps/baselines.js'
import { buildOtelMemoryApp } from './apps/otel.js'
import { buildFullMemoryApp, buildRoomyMemoryApp, countingHandlers } from './apps/ours.js'
import type { FetchApp } from './variants.js'

const ROUNDS = 25
const PER_ROUND = 4000
const ALLOCATION_REQUESTS = 20_000
const SECRET = 'in-process-benchmark-secret-0123456789abcdef'

type Fetch = (request: Request) => Response | Promise<Response>

interface Case {
  label: string
  fetch: Fetch
  path: string
  cookie?: string
}

// The listener installs @hono/node-server's lightweight Request and Response, as `serve` does.
getRequestListener(() => new Response(null))
const full = await buildFullMemoryApp(SECRET)
const handlers = countingHandlers()
const withEvents = await buildFullMemoryApp(SECRET, handlers.on)
const roomy = buildRoomyMemoryApp(SECRET)
const otelOff = await buildOtelMemoryApp(SECRET, false)
const otelOn = await buildOtelMemoryApp(SECRET, true)

/** The cookie of a returning visitor of `app`, whose session `/prime` stores. */
async function primedCookie(app: FetchApp): Promise<string> {
  const primed = await app.fetch!(new Request('http://localhost/prime'))
  return primed.headers.get('set-cookie')!.split(';')[0]!
}

const cookie = await primedCookie(full)
const eventsCookie = await primedCookie(withEvents)
const otelOffCookie = await primedCookie(otelOff)
const otelOnCookie = await primedCookie(otelOn)
const cases: Case[] = [
  { label: 'bare Hono', fetch: buildBareApp().fetch, path: '/' },
  { label: 'Hono + one empty async middleware', fetch: buildEmptyMiddlewareApp().fetch, path: '/' },
  {
    label: 'Hono setting one plain cookie (the floor)',
    fetch: buildPlainCookieApp().fetch,
    path: '/',
  },
  {
    label: 'ours, route that never touches the session',
    fetch: full.fetch!,
    path: '/untouched',
    cookie,
  },
  { label: 'ours, route that only reads the session', fetch: full.fetch!, path: '/read', cookie },
  { label: 'ours counter, returning visitor', fetch: full.fetch!, path: '/', cookie },
  { label: 'ours counter, new visitor (store full)', fetch: full.fetch!, path: '/' },
  { label: 'ours counter, new visitor (store with room)', fetch: roomy.fetch!, path: '/' },
  {
    label: 'ours counter, returning visitor, all 9 event handlers set',
    fetch: withEvents.fetch!,
    path: '/',
    cookie: eventsCookie,
  },
  {
    label: 'ours counter, new visitor (store full), all 9 event handlers set',
    fetch: withEvents.fetch!,
    path: '/',
  },
  {
    label: 'ours counter, returning visitor, typed-sessions/otel, no SDK started (API no-ops)',
    fetch: otelOff.fetch!,
    path: '/',
    cookie: otelOffCookie,
  },
  {
    label: 'ours counter, returning visitor, typed-sessions/otel, SDK recording every span',
    fetch: otelOn.fetch!,
    path: '/',
    cookie: otelOnCookie,
  },
  {
    label: 'ours counter, new visitor (store full), typed-sessions/otel, SDK recording every span',
    fetch: otelOn.fetch!,
    path: '/',
  },
]

const socket = new Socket()

/** A GET as the Node HTTP parser would hand it over, and a response with nowhere to go. */
function exchange(path: string, cookieHeader?: string): [IncomingMessage, ServerResponse] {
  const request = new IncomingMessage(socket)
  request.method = 'GET'
  request.url = path
  request.httpVersionMajor = 1
  request.httpVersionMinor = 1
  request.httpVersion = '1.1'
  const raw = ['Host', '127.0.0.1', 'User-Agent', 'in-process']
  if (cookieHeader !== undefined) raw.push('Cookie', cookieHeader)
  request.rawHeaders = raw
  // Node builds `headers` from the parser's count, which is not set here: give them directly.
  const headers: Record<string, string> = { host: '127.0.0.1', 'user-agent': 'in-process' }
  if (cookieHeader !== undefined) headers['cookie'] = cookieHeader
  Object.defineProperty(request, 'headers', { value: headers })
  request.push(null)
  request.complete = true
  return [request, new ServerResponse(request)]
}

const listeners = cases.map((c) => getRequestListener(c.fetch))

function exchanges(index: number, count: number): [IncomingMessage, ServerResponse][] {
  const { path, cookie: header } = cases[index]!
  return Array.from({ length: count }, () => exchange(path, header))
}

async function answer(index: number, list: [IncomingMessage, ServerResponse][]): Promise<void> {
  for (const [request, response] of list) {
    await listeners[index]!(request, response)
    if (response.statusCode !== 200) {
      throw new Error(`${cases[index]!.label}: status ${response.statusCode}`)
    }
  }
}

/** CPU µs per request of one round; the exchanges are built before the clock starts. */
async function round(index: number): Promise<number> {
  const list = exchanges(index, PER_ROUND)
  const start = process.cpuUsage()
  await answer(index, list)
  const { user, system } = process.cpuUsage(start)
  return (user + system) / PER_ROUND
}

interface SamplingHeapProfileNode {
  selfSize: number
  children: SamplingHeapProfileNode[]
}

const inspector = new Inspector()
inspector.connect()

/** Bytes allocated per request (sampled every 64 bytes), freed ones included. */
async function allocation(index: number): Promise<number> {
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never)
  await answer(index, exchanges(index, ALLOCATION_REQUESTS))
  const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as {
    profile: { head: SamplingHeapProfileNode }
  }
  const total = (node: SamplingHeapProfileNode): number =>
    node.selfSize + node.children.reduce((sum, child) => sum + total(child), 0)
  return total(profile.head) / ALLOCATION_REQUESTS
}

for (let index = 0; index < cases.length; index++) await answer(index, exchanges(index, PER_ROUND)) // warm-up
const times: number[][] = cases.map(() => [])
for (let r = 0; r < ROUNDS; r++) {
  for (let index = 0; index < cases.length; index++) times[index]!.push(await round(index))
}
const bytes: number[] = []
for (let index = 0; index < cases.length; index++) bytes.push(await allocation(index))
inspector.disconnect()
// The handlers ran: the events-on rows measure real events, not handlers never called.
if (handlers.heard() === 0) throw new Error('the event handlers heard nothing')

const sorted = times.map((list) => [...list].sort((a, b) => a - b))
const bareMin = sorted[0]![0]!
console.log(
  `In process (npm run bench:in-process, Node ${process.version}): CPU µs per request, min and median of ${ROUNDS} rounds of ${PER_ROUND.toLocaleString('en')}; bytes allocated per request (request and response objects included)`
)
console.log('')
console.log('| case | CPU µs/req, min | median | over bare (min) | allocated bytes/req |')
console.log('| --- | ---: | ---: | ---: | ---: |')
cases.forEach((c, index) => {
  const list = sorted[index]!
  const min = list[0]!
  const median = list[Math.floor(list.length / 2)]!
  console.log(
    `| ${c.label} | ${min.toFixed(1)} | ${median.toFixed(1)} | ${index === 0 ? '–' : `+${(min - bareMin).toFixed(1)}`} | ${Math.round(bytes[index]!).toLocaleString('en')} |`
  )
})
