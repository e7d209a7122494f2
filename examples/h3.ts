/**
 * Sessions in another framework: h3 (unjs, the server under Nitro and Nuxt) on Node, through
 * the Fetch-API adapter. `npm run example:h3`, then `curl -c jar -b jar localhost:3000` a few
 * times; `curl -b jar -c jar -X POST localhost:3000/logout` ends the session.
 */
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import {
  createApp,
  createRouter,
  eventHandler,
  fromWebHandler,
  toNodeListener,
  toWebRequest,
} from 'h3'
import { MemoryStore, type SessionStore } from 'typed-sessions'
import { fetchSessions } from 'typed-sessions/fetch'
import { counterSession } from '../schemas/counter.js'
import { exampleOptions } from './counter-app.js'

/** The counter as an h3 app on `store`. */
export function createH3CounterApp(store: SessionStore = new MemoryStore()) {
  const sessions = fetchSessions(counterSession, { store, ...exampleOptions })
  const router = createRouter()
  // An h3 handler opens the request's session and finishes it onto the Response it returns.
  router.get(
    '/',
    eventHandler(async (event) => {
      const { session, respond } = sessions.open(toWebRequest(event))
      const n = await session.get('counter')
      await session.set('counter', n + 1)
      return respond(new Response(`Current count: ${n}`))
    })
  )
  // Or a whole fetch handler, wrapped once and mounted with h3's fromWebHandler.
  router.post(
    '/logout',
    fromWebHandler(
      sessions.handle(async (_request, session) => {
        await session.flush()
        return new Response('Logged out')
      })
    )
  )
  return createApp().use(router)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000)
  createServer(toNodeListener(createH3CounterApp())).listen(port, () => {
    console.log(`h3 counter listening on http://localhost:${port}`)
  })
}
