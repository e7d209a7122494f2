import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { isSessionError } from 'typed-sessions'
import type { SessionStore } from 'typed-sessions'
import type { SessionMiddlewareOptions } from 'typed-sessions/hono'
import { counterSession } from '../../schemas/counter.js'
import { sessionApp } from './http.js'

/** How a request reaches the app: `app.request` in process, or `fetch` over loopback HTTP. */
export type RequestFunction = (path: string, init?: RequestInit) => Promise<Response>

/**
 * The counter app of the fault tests: `POST /increment` adds one to the session's counter and
 * answers the new value. `app.onError` records every error it is handed and answers 503 for a
 * `SessionError` `STORE_UNAVAILABLE`, 500 for anything else, so a test can tell that each failed
 * request was an outage the application saw.
 */
export function faultApp(store: SessionStore, options: Partial<SessionMiddlewareOptions> = {}) {
  const app = sessionApp(counterSession, { ...options, store })
  const errors: unknown[] = []
  app.onError((error, c) => {
    errors.push(error)
    const unavailable = isSessionError(error) && error.code === 'STORE_UNAVAILABLE'
    return c.json({ code: isSessionError(error) ? error.code : 'OTHER' }, unavailable ? 503 : 500)
  })
  app.post('/increment', async (c) => {
    const counter = await c.var.session.update('counter', (n) => n + 1)
    return c.text(String(counter))
  })
  return { app, errors }
}

/**
 * Serves `fetch` on an ephemeral loopback port with the Node adapter, as an application would.
 * @example const server = await serveOnLoopback(app.fetch); await server.request('/increment')
 */
export async function serveOnLoopback(
  fetch: (request: Request) => Response | Promise<Response>
): Promise<{ request: RequestFunction; close(): Promise<void> }> {
  let server!: ReturnType<typeof serve>
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve(info.port)
    )
  })
  const origin = `http://127.0.0.1:${port}`
  return {
    request: (path, init) => globalThis.fetch(`${origin}${path}`, init),
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/**
 * Records every unhandled rejection and uncaught exception from now until `stop()`: a fault
 * must never escape as one (a driver's 'error' event without a listener is the usual culprit).
 */
export function watchUnhandled(): { escaped: unknown[]; stop(): void } {
  const escaped: unknown[] = []
  const record = (error: unknown) => void escaped.push(error)
  process.on('unhandledRejection', record)
  process.on('uncaughtException', record)
  return {
    escaped,
    stop: () => {
      process.off('unhandledRejection', record)
      process.off('uncaughtException', record)
    },
  }
}
