/**
 * The account pages of the login example: your devices (each session of the user, with its
 * browser, network and times; sign out one, or all but this one) and a password change that asks
 * for the password again when the login is older than FRESH_FOR (`requireFresh`, then
 * `reauthenticate`).
 */
import type { Hono } from 'hono'
import { html } from 'hono/html'
import { safeRedirect, type SessionInfo } from 'typed-sessions/auth'
import type { AuthEnv, ExampleKit } from './auth.js'

/** The most devices a user is logged in on at once; the devices page explains the policy. */
export const DEVICE_LIMIT = 3

/** Seconds a login stays fresh enough to change the password; an older one confirms it first. */
export const FRESH_FOR = 5 * 60

const POLICY = html`<p id="policy">
    You can be logged in on at most ${DEVICE_LIMIT} devices at once. Logging in on another one signs
    out the device that logged in longest ago, rather than refusing the login: a lost or forgotten
    device never locks you out, and nobody who learned your password can take every place to keep
    you out. If you see a device you do not know, sign it out and change your password.
  </p>
  <p>
    Addresses are kept only to their network (203.0.113.0 for 203.0.113.7); "last seen" moves at
    most every 5 minutes.
  </p>`

const time = (date: Date) => {
  const iso = date.toISOString()
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`
}

/** The account routes: /account/devices (and its sign-out posts), /account/password, /confirm. */
export function accountRoutes(app: Hono<AuthEnv>, kit: ExampleKit): void {
  const { auth, users, page, tokenField } = kit
  const loggedIn = auth.requireUser({ redirectTo: '/login' })
  // A password change needs a recent login: a borrowed, unlocked laptop is not enough. A stale
  // login confirms the password, a visitor logs in (fresh then), and each comes back.
  const fresh = auth.requireFresh(FRESH_FOR, {
    onFailure: (c, failure) => {
      const next = encodeURIComponent(new URL(c.req.url).pathname)
      return c.redirect(`${failure.reason === 'stale' ? '/confirm' : '/login'}?next=${next}`)
    },
  })

  app.get('/account/devices', loggedIn, async (c) => {
    const session = c.var.session
    const devices = await auth.listSessions(session)
    const token = await tokenField(session)
    const action = (device: SessionInfo) =>
      device.current
        ? html`<strong>This device</strong>`
        : html`<form method="post" action="/account/devices/sign-out">
            ${token}<input type="hidden" name="handle" value="${device.handle}" />
            <button>Sign out</button>
          </form>`
    const rows = devices.map(
      (device) =>
        html`<tr class="${device.current ? 'device current' : 'device'}">
          <td class="agent">${device.userAgent ?? 'Unknown browser'}</td>
          <td class="ip">${device.ip ?? 'unknown'}</td>
          <td class="created">${time(device.createdAt)}</td>
          <td class="seen">${time(device.lastSeenAt)}</td>
          <td>${action(device)}</td>
        </tr>`
    )
    const others = devices.some((device) => !device.current)
      ? html`<form method="post" action="/account/devices/sign-out-others">
          ${token}<button>Sign out everywhere else</button>
        </form>`
      : ''
    const body = html`${POLICY}
      <table id="devices">
        <tr>
          <th>Browser</th>
          <th>Network</th>
          <th>First seen</th>
          <th>Last seen</th>
          <th></th>
        </tr>
        ${rows}
      </table>
      ${others}`
    return c.html(page(session, 'Your devices', body))
  })

  app.post('/account/devices/sign-out', loggedIn, async (c) => {
    const { handle } = await c.req.parseBody()
    const session = c.var.session
    const signedOut = await auth.revokeSession(session, typeof handle === 'string' ? handle : '')
    const notice = signedOut ? 'Signed out that device.' : 'That device was already signed out.'
    await session.flash('notices', notice)
    return c.redirect('/account/devices', 303)
  })

  app.post('/account/devices/sign-out-others', loggedIn, async (c) => {
    const count = await auth.revokeOtherSessions(c.var.session)
    await c.var.session.flash('notices', `Signed out ${devicesText(count)}.`)
    return c.redirect('/account/devices', 303)
  })

  app.get('/account/password', fresh, async (c) => {
    const session = c.var.session
    const form = html`<form method="post" action="/account/password">
      ${await tokenField(session)}
      <label
        >New password <input name="password" type="password" autocomplete="new-password"
      /></label>
      <button>Change password</button>
    </form>`
    return c.html(page(session, 'Change your password', form))
  })

  app.post('/account/password', fresh, async (c) => {
    const session = c.var.session
    const { password } = await c.req.parseBody()
    if (typeof password !== 'string' || password.length < 8) {
      await session.flash('notices', 'Choose a password of at least 8 characters.')
      return c.redirect('/account/password', 303)
    }
    users.setPassword(c.var.user, password)
    // This session logs in again (a new id, the new auth hash). The other ones would fail the
    // auth hash at their next request; signed out now, they leave the devices page at once.
    await auth.login(session, c.var.user)
    const count = await auth.revokeOtherSessions(session)
    await session.flash('notices', `Password changed; signed out ${devicesText(count)}.`)
    return c.redirect('/account', 303)
  })

  app.get('/confirm', loggedIn, async (c) => {
    const session = c.var.session
    const form = html`<p>
        You logged in more than ${FRESH_FOR / 60} minutes ago: enter your password again to go on.
      </p>
      <form method="post" action="/confirm">
        ${await tokenField(session)}
        <input type="hidden" name="next" value="${safeRedirect(c.req.query('next'), '/account')}" />
        <label
          >Password <input name="password" type="password" autocomplete="current-password"
        /></label>
        <button>Confirm</button>
      </form>`
    return c.html(page(session, 'Confirm your password', form))
  })

  app.post('/confirm', loggedIn, async (c) => {
    const session = c.var.session
    const form = await c.req.parseBody()
    // `next` came with the request: only a path on this site.
    const next = safeRedirect(form.next, '/account')
    const password = typeof form.password === 'string' ? form.password : ''
    if (users.check(c.var.user.id, password) === undefined) {
      await session.flash('notices', 'Wrong password.')
      return c.redirect(`/confirm?next=${encodeURIComponent(next)}`, 303)
    }
    await auth.reauthenticate(session, c.var.user)
    return c.redirect(next, 303)
  })
}

const devicesText = (count: number) => `${count} other ${count === 1 ? 'device' : 'devices'}`
