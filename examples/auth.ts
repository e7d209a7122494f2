/**
 * A login app: a visit counter, a login form with a CSRF token, a flash message after login, a
 * protected page, logout, and the account pages of examples/auth-account.ts (your devices, a
 * password change that asks for the password again).
 * `npm run example:auth`, then open http://localhost:3000 and log in as ada / lovelace.
 */
import { Hono } from 'hono'
import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import { z } from 'zod'
import {
  MemoryStore,
  defineSession,
  flash,
  isSessionError,
  sensitive,
  type SessionStore,
} from 'typed-sessions'
import { createAuth, createCsrf, csrfSecret, safeRedirect, type Csrf } from 'typed-sessions/auth'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { DEVICE_LIMIT, accountRoutes } from './auth-account.js'
import { Users, type User } from './auth-users.js'
import { exampleOptions, serveIfMain } from './counter-app.js'

export { Users, type User }

/** The session's schema: a visit counter, the login, the CSRF secret and the next page's messages. */
const authSchema = z.object({
  visits: z.number().int().nonnegative().default(0),
  // Marked sensitive: `typed-sessions inspect` shows "[redacted]" instead of the values.
  user: z.object({ id: z.string(), authHash: sensitive(z.string()).optional() }).optional(),
  csrf: csrfSecret(),
  notices: flash(z.string()),
})

/** The example's session. */
export const authSession = defineSession(authSchema)

/** The Hono environment of the example: `c.var.session`. */
export type AuthEnv = SessionEnv<typeof authSession>

type Session = AuthEnv['Variables']['session']

function exampleAuth(users: Users, now: () => number) {
  return createAuth({
    definition: authSession,
    userKey: 'user',
    idOf: (user: User) => user.id,
    // A disabled or deleted account is logged out on its next request.
    loadUser: (id) => {
      const user = users.get(id)
      return user === undefined || user.disabled ? undefined : user
    },
    authHash: (user) => String(user.passwordVersion),
    // A login beyond the limit signs out the device that logged in longest ago.
    sessionsPerUser: { limit: DEVICE_LIMIT, whenFull: 'end-oldest' },
    now,
  })
}

/** The example's login helpers. */
export type ExampleAuth = ReturnType<typeof exampleAuth>

/** What the pages of the example share. */
export interface ExampleKit {
  auth: ExampleAuth
  csrf: Csrf<typeof authSchema>
  users: Users
  /** A whole page: the flash messages, the title, the body (escaped where it is built). */
  page(session: Session, title: string, body: unknown): Promise<HtmlEscapedString>
  /** The hidden field with a CSRF token, for every form that posts. */
  tokenField(session: Session): Promise<HtmlEscapedString>
}

/** Options of `createAuthApp`. */
export interface AuthAppOptions {
  /** Where sessions live. @default a new MemoryStore */
  store?: SessionStore
  /** The user directory. @default new Users() (ada / lovelace) */
  users?: Users
  /** The clock of login times, last-seen times and freshness (tests move it). @default Date.now */
  now?: () => number
}

/** The login app. */
export function createAuthApp(options: AuthAppOptions = {}) {
  const { store = new MemoryStore(), users = new Users(), now = Date.now } = options
  const auth = exampleAuth(users, now)
  const csrf = createCsrf({ definition: authSession })

  const app = new Hono<AuthEnv>()
  app.use(sessionMiddleware(authSession, { store, ...exampleOptions }))
  app.use(csrf.protect())

  // hono/html escapes every value put into a template: names, devices, addresses, messages.
  const kit: ExampleKit = {
    auth,
    csrf,
    users,
    page: async (session, title, body) =>
      html`<!doctype html>
        <html>
          <head>
            <title>${title}</title>
          </head>
          <body>
            ${(await session.consumeFlash('notices')).map((m) => html`<p class="flash">${m}</p>`)}
            <h1>${title}</h1>
            ${body}
          </body>
        </html>`,
    tokenField: async (session) =>
      html`<input type="hidden" name="${csrf.field}" value="${await csrf.token(session)}" />`,
  }

  app.get('/', async (c) => {
    const session = c.var.session
    const visits = await session.update('visits', (n) => n + 1)
    const user = await auth.currentUser(session)
    const who = user
      ? html`<p id="who">Logged in as ${user.name}</p>
          <p><a href="/account">Your account</a></p>
          <form method="post" action="/logout">
            ${await kit.tokenField(session)}<button>Log out</button>
          </form>`
      : html`<p id="who">Not logged in</p>
          <a href="/login">Log in</a>`
    const body = html`<p id="visits">Visits: ${visits}</p>
      ${who}`
    return c.html(kit.page(session, 'Home', body))
  })

  app.get('/login', async (c) => {
    const session = c.var.session
    const form = html`<form method="post" action="/login">
      ${await kit.tokenField(session)}
      <input type="hidden" name="next" value="${safeRedirect(c.req.query('next'))}" />
      <label>User <input name="username" autocomplete="username" /></label>
      <label
        >Password <input name="password" type="password" autocomplete="current-password"
      /></label>
      <button>Log in</button>
    </form>`
    return c.html(kit.page(session, 'Log in', form))
  })

  app.post('/login', async (c) => {
    const session = c.var.session
    const form = await c.req.parseBody()
    const user = users.check(String(form.username ?? ''), String(form.password ?? ''))
    if (user === undefined || user.disabled) {
      await session.flash('notices', 'Wrong user name or password.')
      return c.redirect('/login', 303)
    }
    try {
      await auth.login(session, user)
    } catch (error) {
      if (!isSessionError(error) || error.code !== 'SESSION_LIMIT') throw error
      // With 'end-oldest', only when more logins than the limit run at the same moment: this one
      // logged in first, so it is the one ended. (The write below starts a new, anonymous session.)
      await session.flash('notices', 'You logged in on too many devices at once; log in again.')
      return c.redirect('/login', 303)
    }
    await session.flash('notices', `Welcome back, ${user.name}!`)
    // Only a path on this site: `next` came with the request, so anyone can craft it.
    return c.redirect(safeRedirect(form.next), 303)
  })

  app.post('/logout', async (c) => {
    await auth.logout(c.var.session)
    return c.redirect('/', 303)
  })

  app.get('/account', auth.requireUser({ redirectTo: '/login' }), async (c) => {
    const body = html`<p id="account">Account of ${c.var.user.name}</p>
      <ul>
        <li><a href="/account/devices">Your devices</a></li>
        <li><a href="/account/password">Change your password</a></li>
      </ul>`
    return c.html(kit.page(c.var.session, 'Account', body))
  })

  accountRoutes(app, kit)

  app.onError((error, c) => {
    if (isSessionError(error) && error.code === 'STORE_UNAVAILABLE') {
      return c.text('Sessions are unavailable right now; try again shortly.', 503)
    }
    if (isSessionError(error) && error.code === 'INVALID_VALUE') return c.text(error.message, 400)
    console.error(error)
    return c.text('Internal Server Error', 500)
  })
  return { app, users }
}

export const { app } = createAuthApp()

serveIfMain(import.meta.url, app, 'Login example')
