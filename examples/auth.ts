/**
 * A login app: a visit counter, a login form with a CSRF token, a flash message after login, a
 * protected page, logout, and a password change that logs out every other session.
 * `npm run example:auth`, then open http://localhost:3000 and log in as ada / lovelace.
 */
import { scryptSync, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'
import { html } from 'hono/html'
import { z } from 'zod'
import {
  MemoryStore,
  defineSession,
  flash,
  isSessionError,
  sensitive,
  type SessionStore,
} from 'typed-sessions'
import { createAuth, createCsrf, csrfSecret, safeRedirect } from 'typed-sessions/auth'
import { sessionMiddleware, type SessionEnv } from 'typed-sessions/hono'
import { exampleOptions, serveIfMain } from './counter-app.js'

/** The session: a visit counter, the login, the CSRF secret and the messages of the next page. */
export const authSession = defineSession(
  z.object({
    visits: z.number().int().nonnegative().default(0),
    // Marked sensitive: `typed-sessions inspect` shows "[redacted]" instead of the values.
    user: z.object({ id: z.string(), authHash: sensitive(z.string()).optional() }).optional(),
    csrf: csrfSecret(),
    notices: flash(z.string()),
  })
)

/** A user of the example's directory; a real app reads them from its database. */
export interface User {
  id: string
  name: string
  passwordHash: Buffer
  /** Bumped by each password change: part of the auth hash, so other sessions end. */
  passwordVersion: number
  disabled: boolean
}

const SALT = 'example salt: use a random salt per user'
const hashPassword = (password: string) => scryptSync(password, SALT, 32)

/** The example's users, in memory: ada with the password "lovelace". */
export class Users {
  readonly #byId = new Map<string, User>()

  constructor() {
    this.add('ada', 'Ada Lovelace', 'lovelace')
  }

  add(id: string, name: string, password: string): User {
    const user = {
      id,
      name,
      passwordHash: hashPassword(password),
      passwordVersion: 1,
      disabled: false,
    }
    this.#byId.set(id, user)
    return user
  }

  get(id: string): User | undefined {
    return this.#byId.get(id)
  }

  /** The user whose id and password match, or undefined; compares hashes in constant time. */
  check(id: string, password: string): User | undefined {
    const user = this.#byId.get(id)
    const hash = hashPassword(password)
    return user !== undefined && timingSafeEqual(user.passwordHash, hash) ? user : undefined
  }

  setPassword(user: User, password: string): void {
    user.passwordHash = hashPassword(password)
    user.passwordVersion++
  }
}

type Session = SessionEnv<typeof authSession>['Variables']['session']

/** The login app on `store` with `users`. */
export function createAuthApp(store: SessionStore = new MemoryStore(), users = new Users()) {
  const auth = createAuth({
    definition: authSession,
    userKey: 'user',
    idOf: (user: User) => user.id,
    // A disabled or deleted account is logged out on its next request.
    loadUser: (id) => {
      const user = users.get(id)
      return user === undefined || user.disabled ? undefined : user
    },
    authHash: (user) => String(user.passwordVersion),
  })
  const csrf = createCsrf({ definition: authSession })

  const app = new Hono<SessionEnv<typeof authSession>>()
  app.use(sessionMiddleware(authSession, { store, ...exampleOptions }))
  app.use(csrf.protect())

  const page = async (session: Session, title: string, body: unknown) =>
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
      </html>`

  app.get('/', async (c) => {
    const session = c.var.session
    const visits = await session.update('visits', (n) => n + 1)
    const user = await auth.currentUser(session)
    const token = await csrf.token(session)
    const who = user
      ? html`<p id="who">Logged in as ${user.name}</p>
          <form method="post" action="/logout">
            <input type="hidden" name="${csrf.field}" value="${token}" /><button>Log out</button>
          </form>`
      : html`<p id="who">Not logged in</p>
          <a href="/login">Log in</a>`
    return c.html(
      page(
        session,
        'Home',
        html`<p id="visits">Visits: ${visits}</p>
          ${who}`
      )
    )
  })

  app.get('/login', async (c) => {
    const session = c.var.session
    const form = html`<form method="post" action="/login">
      <input type="hidden" name="${csrf.field}" value="${await csrf.token(session)}" />
      <input type="hidden" name="next" value="${safeRedirect(c.req.query('next'))}" />
      <label>User <input name="username" autocomplete="username" /></label>
      <label
        >Password <input name="password" type="password" autocomplete="current-password"
      /></label>
      <button>Log in</button>
    </form>`
    return c.html(page(session, 'Log in', form))
  })

  app.post('/login', async (c) => {
    const form = await c.req.parseBody()
    const user = users.check(String(form.username ?? ''), String(form.password ?? ''))
    if (user === undefined || user.disabled) {
      await c.var.session.flash('notices', 'Wrong user name or password.')
      return c.redirect('/login', 303)
    }
    await auth.login(c.var.session, user)
    await c.var.session.flash('notices', `Welcome back, ${user.name}!`)
    // Only a path on this site: `next` came with the request, so anyone can craft it.
    return c.redirect(safeRedirect(form.next), 303)
  })

  app.post('/logout', async (c) => {
    await auth.logout(c.var.session)
    return c.redirect('/', 303)
  })

  app.get('/account', auth.requireUser({ redirectTo: '/login' }), async (c) => {
    const token = await csrf.token(c.var.session)
    const body = html`<p id="account">Account of ${c.var.user.name}</p>
      <form method="post" action="/account/password">
        <input type="hidden" name="${csrf.field}" value="${token}" />
        <label>New password <input name="password" type="password" /></label>
        <button>Change password</button>
      </form>`
    return c.html(page(c.var.session, 'Account', body))
  })

  app.post('/account/password', auth.requireUser(), async (c) => {
    const { password } = await c.req.parseBody()
    if (typeof password !== 'string' || password.length < 8) {
      await c.var.session.flash('notices', 'Choose a password of at least 8 characters.')
      return c.redirect('/account', 303)
    }
    users.setPassword(c.var.user, password)
    // Every other session now fails the auth hash check; this one logs in again to stay.
    await auth.login(c.var.session, c.var.user)
    await c.var.session.flash('notices', 'Password changed; your other sessions were logged out.')
    return c.redirect('/account', 303)
  })

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
