/* global console */
// An app on zod 3.25, which ships zod 4 under 'zod/v4': the packed typed-sessions must load and
// count, and its auth helpers must work, with that zod.
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { z } from 'zod/v4'
import { defineSession } from 'typed-sessions'
import { createCsrf, csrfSecret } from 'typed-sessions/auth'
import { sessionMiddleware } from 'typed-sessions/hono'

const zodVersion = (await import('zod/package.json', { with: { type: 'json' } })).default.version
assert.match(zodVersion, /^3\.25\./, `expected zod 3.25, got ${zodVersion}`)

const session = defineSession(
  z.object({ counter: z.number().int().default(0), csrf: csrfSecret() })
)
const csrf = createCsrf({ definition: session })
const app = new Hono()
app.use(sessionMiddleware(session, { secret: 'a compatibility test secret, 32+ characters' }))
app.use(csrf.protect())
app.get('/', async (c) => {
  const n = await c.var.session.get('counter')
  await c.var.session.set('counter', n + 1)
  return c.text(`${n} ${await csrf.token(c.var.session)}`)
})
app.post('/', (c) => c.text('posted'))
app.get('/bad', async (c) => (await c.var.session.set('counter', 'many'), c.text('set')))
app.onError((error, c) => c.text(`${error.code}: ${error.message}`, 400))

const first = await app.request('/')
const cookie = first.headers.get('set-cookie').split(';')[0]
const [count, token] = (await first.text()).split(' ')
assert.equal(count, '0')
const second = await app.request('/', { headers: { cookie } })
assert.match(await second.text(), /^1 /)
const bad = await app.request('/bad', { headers: { cookie } })
assert.equal(bad.status, 400, 'a value that fails its schema is refused under zod 3.25 too')
assert.match(await bad.text(), /^INVALID_VALUE: Invalid value for session key "counter"/)
const posted = await app.request('/', {
  method: 'POST',
  headers: { cookie, 'x-csrf-token': token },
})
assert.equal(posted.status, 200)

console.log(`ok: an app on zod ${zodVersion} counts, refuses a bad value and checks CSRF`)
