import { perUserApp as suiteApp, type PerUserAppOptions } from '../../src/testing/per-user-app.js'

// The app of the per-user suite lives in the package (src/testing/); the auth tests add routes.
export { deviceFields, loggedIn, movableClock } from '../../src/testing/per-user-app.js'
export type { PerUserAppOptions } from '../../src/testing/per-user-app.js'

/**
 * The per-user suite's app (POST /login/:id?device=…, POST /logout, POST /revoke/:handle,
 * GET /me, POST /count; X-Test-IP is the client's IP) with the routes the auth tests add:
 * POST /forget-user, GET /sessions (JSON), POST /revoke-others, GET /fresh (requireFresh(300)),
 * POST /reauth.
 */
export function perUserApp(options: PerUserAppOptions = {}) {
  const made = suiteApp(options)
  const { app, auth } = made
  // A logout some apps write by hand: the user key goes, the binding stays.
  app.post('/forget-user', async (c) => (await c.var.session.delete('user'), c.text('ok')))
  app.get('/sessions', async (c) => c.json(await auth.listSessions(c.var.session)))
  app.post('/revoke-others', async (c) => c.json(await auth.revokeOtherSessions(c.var.session)))
  app.get('/fresh', auth.requireFresh(300), (c) => c.text(`fresh ${c.var.user.name}`))
  app.post('/reauth', async (c) => {
    const user = await auth.currentUser(c.var.session)
    await auth.reauthenticate(c.var.session, user!)
    return c.text('ok')
  })
  return made
}
