/**
 * The counter as one plain fetch handler (`typed-sessions/fetch`, no framework), served as it is
 * by each runtime: `npm run example:fetch` (Node, through @hono/node-server), `bun
 * examples/fetch.ts` (Bun serves the default export), or as a Worker's default export. Then
 * `curl -c jar -b jar localhost:3000` a few times; `curl -c jar -b jar -X POST
 * localhost:3000/logout` ends the session.
 */
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { isSessionError } from 'typed-sessions'
import { fetchSessions } from 'typed-sessions/fetch'
import { counterSession } from '../schemas/counter.js'
import { exampleOptions } from './counter-app.js'

const sessions = fetchSessions(counterSession, exampleOptions)

/** The app: `/` counts, `POST /logout` ends the session. */
export const fetch = sessions.handle(async (request, session) => {
  try {
    if (new URL(request.url).pathname === '/logout' && request.method === 'POST') {
      await session.flush()
      return new Response('Logged out')
    }
    const n = await session.get('counter')
    await session.set('counter', n + 1)
    return new Response(`Current count: ${n}`)
  } catch (error) {
    // The store being down is a 503 the client may retry, not a 500.
    if (isSessionError(error) && error.code === 'STORE_UNAVAILABLE') {
      return new Response('Sessions are unavailable right now; try again shortly.', { status: 503 })
    }
    throw error
  }
})

const port = Number(process.env.PORT ?? 3000)
// Bun serves a default export with `fetch` (and `port`) when run directly; so does a Worker.
export default { port, fetch }

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!('Bun' in globalThis)) serve({ fetch, port })
  console.log(`Fetch counter listening on http://localhost:${port}`)
}
