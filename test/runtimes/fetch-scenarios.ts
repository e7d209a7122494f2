import { z } from 'zod'
import type * as Core from 'typed-sessions'
import type * as FetchEntry from 'typed-sessions/fetch'
import { FetchJar, type Fetchable } from '../helpers/fetch-jar.js'
import { runReported, type ScenarioReport } from './report.js'
import { check, type BuiltPackage } from './scenarios.js'

// The Fetch-API adapter (`typed-sessions/fetch`) on each runtime's own server: plain handlers on
// Bun.serve, Deno.serve, a Worker's fetch and Node's @hono/node-server, written once against
// the BUILT package and run by each runtime suite (README, "Other frameworks").

/** The entries of the built package the fetch scenarios use. */
export type FetchPackage = Pick<BuiltPackage, 'core' | 'fetch'>

/** A runtime's fetch handler signature: the request, then whatever the runtime passes. */
export type RuntimeHandler = (request: Request, ...rest: unknown[]) => Promise<Response>

/** A handler served by the runtime: a client that reaches it, and how to stop it. */
export interface Served {
  /** Sends a request (its URL's origin is ignored) to the served handler. */
  client: Fetchable
  /** True when the client reaches the handler over a loopback socket (not on workerd). */
  loopback: boolean
  close(): Promise<void>
}

/** Serves a handler on the runtime's own server (or calls it as the runtime would). */
export type Serve = (handler: RuntimeHandler) => Promise<Served>

const SECRET = 'fetch scenarios: a secret of at least thirty-two characters'
/** A forwarded-for address a client can send; a real server must never take it. */
const FORGED_IP = '203.0.113.7'

/** A client that sends each request to `baseUrl`, keeping its path, method, headers and body. */
export function clientOf(baseUrl: string): Fetchable {
  return {
    async fetch(request) {
      const { pathname, search } = new URL(request.url)
      const body = request.method === 'GET' ? undefined : await request.text()
      const init: RequestInit = {
        method: request.method,
        headers: request.headers,
        redirect: 'manual',
      }
      if (body !== undefined) init.body = body
      return fetch(`${baseUrl}${pathname}${search}`, init)
    },
  }
}

function counterHandler(
  { core, fetch }: FetchPackage,
  options: Partial<FetchEntry.FetchSessionsOptions> = {}
) {
  const session = core.defineSession(
    z.object({ counter: z.number().int().default(0), user: z.string().optional() })
  )
  const sessions = fetch.fetchSessions(session, {
    secret: SECRET,
    store: new core.MemoryStore(),
    cookie: { secure: false },
    ...options,
  })
  return sessions.handle(async (request, session) => {
    const { pathname } = new URL(request.url)
    if (pathname === '/login') {
      await session.cycleId()
      await session.set('user', 'ada')
      return new Response('in')
    }
    if (pathname === '/logout') {
      await session.flush()
      return new Response('out')
    }
    if (pathname === '/client') return Response.json(session.client)
    if (pathname === '/peek') {
      return new Response(`${await session.get('counter')} ${(await session.get('user')) ?? '-'}`)
    }
    const n = await session.get('counter')
    await session.set('counter', n + 1)
    return new Response(String(n))
  })
}

/** One fetch scenario: a sentence, and a body that throws on failure. */
export interface FetchScenario {
  name: string
  run(pkg: FetchPackage, serve: Serve): Promise<void>
}

export const fetchScenarios: FetchScenario[] = [
  {
    name: 'a plain fetch handler counts per visitor, logs in with a new id and logs out',
    async run(pkg, serve) {
      const served = await serve(counterHandler(pkg))
      try {
        const alice = new FetchJar(served.client)
        const bob = new FetchJar(served.client)
        const counts = [await alice.text('/'), await alice.text('/'), await bob.text('/')]
        check(counts, ['0', '1', '0'], 'counts')
        const before = alice.cookies.get('id')
        await alice.text('/login', { method: 'POST' })
        check(alice.cookies.get('id') !== before, true, 'a new cookie at login')
        check(await alice.text('/peek'), '2 ada', 'data kept across the new id')
        const logout = await alice.fetch('/logout', { method: 'POST' })
        check(/Max-Age=0/.test(logout.headers.get('set-cookie') ?? ''), true, 'a removal cookie')
        check(await alice.text('/peek'), '0 -', 'logged out')
      } finally {
        await served.close()
      }
    },
  },
  {
    name: 'the header transport: the token comes back at login and is emptied at logout',
    async run(pkg, serve) {
      const served = await serve(counterHandler(pkg, { transport: 'header' }))
      try {
        const send = (path: string, token?: string) =>
          served.client.fetch(
            new Request(`http://localhost${path}`, {
              method: 'POST',
              headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
            })
          )
        const login = await send('/login')
        const token = login.headers.get('set-auth-token') ?? ''
        check([login.headers.get('set-cookie'), token.includes('.')], [null, true], 'a token')
        check(await (await send('/peek', token)).text(), '0 ada', 'read by the token')
        const logout = await send('/logout', token)
        check(logout.headers.get('set-auth-token'), '', 'the removal signal')
        check(await (await send('/peek', token)).text(), '0 -', 'the token is dead')
      } finally {
        await served.close()
      }
    },
  },
  {
    name: "the client's address is the runtime's peer address, never a forwarded header",
    async run(pkg, serve) {
      const served = await serve(counterHandler(pkg))
      try {
        const request = new Request('http://localhost/client', {
          headers: {
            'x-forwarded-for': FORGED_IP,
            'cf-connecting-ip': FORGED_IP,
            'user-agent': 'scenario',
          },
        })
        const client = (await (await served.client.fetch(request)).json()) as Core.ClientInfo
        check(client.userAgent, 'scenario', 'the user agent')
        if (served.loopback) {
          check(
            /^(::ffff:)?127\.0\.0\.1$|^::1$/.test(client.ip ?? ''),
            true,
            `a loopback address, got ${client.ip}`
          )
        } else check(client.ip, FORGED_IP, "workerd's CF-Connecting-IP, which Cloudflare sets")
      } finally {
        await served.close()
      }
    },
  },
]

/** Runs every fetch scenario, printing one line each and counting them in `report`. */
export async function runFetchScenarios(
  runtime: string,
  pkg: FetchPackage,
  serve: Serve,
  report: ScenarioReport,
  log: (line: string) => void = console.log
): Promise<void> {
  for (const scenario of fetchScenarios) {
    const title = `${runtime} · fetch adapter · ${scenario.name}`
    await runReported(title, () => scenario.run(pkg, serve), report, log)
  }
}
