/**
 * A WebSocket that knows its session, on Bun with Hono's `upgradeWebSocket`:
 * `npm run example:websocket`, log in with `curl -c jar -X POST -d ada localhost:3000/login`,
 * then connect to ws://localhost:3000/ws with that cookie (e.g. `bunx wscat -H "Cookie: id=…"`).
 *
 * The upgrade runs through the session middleware like any request. Each message opens the
 * session again outside the middleware (`openSession`), changes it and commits it, with every
 * guarantee of a request. A logout (in this process) reaches the socket through the `flushed`
 * event, which names the record key, never the session id; a login elsewhere that moves the
 * session to a new id (`cycled`) asks the socket to reconnect with the new cookie.
 */
import { Hono } from 'hono'
import { upgradeWebSocket, websocket } from 'hono/bun'
import type { WSContext } from 'hono/ws'
import { z } from 'zod'
import { defineSession, MemoryStore, type SessionStore } from 'typed-sessions'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'

export const chatSession = defineSession(
  z.object({ user: z.string().optional(), messages: z.number().int().default(0) })
)

const production = process.env.NODE_ENV === 'production'

/** The chat app, its sockets kept per session record key. */
export function createChatApp(store: SessionStore = new MemoryStore()) {
  const sockets = new Map<string, Set<WSContext>>()
  /** Tells every socket of `recordKey` what happened, then closes it. */
  const closeAll = (recordKey: string, message: string, code: number) => {
    for (const ws of sockets.get(recordKey) ?? []) {
      ws.send(JSON.stringify({ type: message }))
      ws.close(code, message)
    }
    sockets.delete(recordKey)
  }
  const sessions = sessionMiddleware(chatSession, {
    store,
    secret: (process.env.SESSION_SECRET ??
      (production ? undefined : 'dev-only secret: set SESSION_SECRET in production'))!,
    cookie: { secure: production },
    on: {
      flushed: (event) => closeAll(event.recordKey, 'logged-out', 4401),
      cycled: (event) => closeAll(event.previousRecordKey, 'session-moved', 4000),
    },
  })

  const app = new Hono<SessionEnv<typeof chatSession>>()
  app.use(sessions)
  app.post('/login', async (c) => {
    await c.var.session.cycleId()
    await c.var.session.set('user', (await c.req.text()) || 'ada')
    return c.text('in')
  })
  app.post('/logout', async (c) => {
    await c.var.session.flush()
    return c.text('out')
  })
  app.get(
    '/ws',
    async (c, next) => {
      if ((await c.var.session.get('user')) === undefined) return c.text('Log in first.', 401)
      await next()
    },
    upgradeWebSocket(async (c) => {
      const cookie = c.req.header('cookie')
      const { recordKey } = await sessions.openSession({ cookie })
      return {
        onOpen: (_event, ws) => {
          if (recordKey === undefined) return ws.close(4401, 'logged-out')
          sockets.set(recordKey, (sockets.get(recordKey) ?? new Set()).add(ws))
        },
        onMessage: async (event, ws) => {
          try {
            // A fresh load per message: what another request or process changed is seen, and
            // a session that ended meanwhile (expired, or logged out elsewhere) reads as empty.
            const opened = await sessions.openSession({ cookie })
            const user = await opened.session.get('user')
            if (user === undefined) return ws.close(4401, 'logged-out')
            const messages = await opened.session.update('messages', (n) => n + 1)
            await opened.commit()
            ws.send(JSON.stringify({ type: 'echo', user, messages, text: String(event.data) }))
          } catch {
            // The store is down (STORE_UNAVAILABLE) or the save kept conflicting: try again later.
            ws.send(JSON.stringify({ type: 'unavailable' }))
          }
        },
        onClose: (_event, ws) => {
          if (recordKey !== undefined) sockets.get(recordKey)?.delete(ws)
        },
      }
    })
  )
  return { app, websocket, sockets }
}

if ((import.meta as { main?: boolean }).main) {
  const { app } = createChatApp()
  const port = Number(process.env.PORT ?? 3000)
  Bun.serve({ port, fetch: app.fetch, websocket })
  console.log(`WebSocket chat listening on http://localhost:${port}`)
}

declare const Bun: {
  serve(options: { port: number; fetch: typeof Hono.prototype.fetch; websocket: unknown }): unknown
}
