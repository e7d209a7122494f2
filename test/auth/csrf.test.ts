import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import { createCsrf, csrfSecret } from 'typed-sessions/auth'
import { loginSession } from '../helpers/auth.js'
import { codeAndMessage } from '../helpers/errors.js'
import { CookieJar, sessionApp } from '../helpers/http.js'

/** An app with CSRF protection: /token issues one, POST /form echoes its parsed body. */
function csrfApp() {
  const csrf = createCsrf({ definition: loginSession })
  const app = sessionApp(loginSession)
  app.use(csrf.protect())
  app.get('/token', async (c) => c.text(await csrf.token(c.var.session)))
  app.get('/page', (c) => c.text('a safe method needs no token'))
  app.post('/form', async (c) => c.json(await c.req.parseBody()))
  app.post('/api', async (c) => c.json(await c.req.json()))
  return { csrf, app, jar: () => new CookieJar(app) }
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
})

describe('csrf.protect()', () => {
  it('lets safe methods through without a token', async () => {
    const { jar } = csrfApp()
    expect((await jar().fetch('/page')).status).toBe(200)
  })

  it('refuses a form post without a token with 403 and a message', async () => {
    const { jar } = csrfApp()
    const visitor = jar()
    await visitor.fetch('/token')
    const response = await visitor.fetch('/form', form({ comment: 'hi' }))
    expect(response.status).toBe(403)
    expect(await response.text()).toMatch(/reload it and try again/)
  })

  it('accepts the token in the form field, and the handler still reads the body', async () => {
    const { jar } = csrfApp()
    const visitor = jar()
    const token = await visitor.text('/token')
    const response = await visitor.fetch('/form', form({ _csrf: token, comment: 'hi' }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ _csrf: token, comment: 'hi' })
  })

  it('accepts the token in a multipart form and in the x-csrf-token header of a JSON post', async () => {
    const { jar } = csrfApp()
    const visitor = jar()
    const token = await visitor.text('/token')
    const multipart = new FormData()
    multipart.set('_csrf', token)
    expect((await visitor.fetch('/form', { method: 'POST', body: multipart })).status).toBe(200)
    const json = await visitor.fetch('/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': token },
      body: '{"a":1}',
    })
    expect(await json.json()).toEqual({ a: 1 })
    // A JSON body is never searched for a field: only the header counts.
    const noHeader = await visitor.fetch('/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _csrf: token }),
    })
    expect(noHeader.status).toBe(403)
  })

  it("refuses another session's token: tokens are bound to the session", async () => {
    const { jar } = csrfApp()
    const attacker = jar()
    const victim = jar()
    const attackerToken = await attacker.text('/token')
    await victim.text('/token')
    expect((await victim.fetch('/form', form({ _csrf: attackerToken }))).status).toBe(403)
  })

  it('refuses a token to a session that never got one', async () => {
    const { jar } = csrfApp()
    const token = await jar().text('/token')
    expect((await jar().fetch('/form', form({ _csrf: token }))).status).toBe(403)
  })

  it('issues a different token each time, all valid for the session (masked against BREACH)', async () => {
    const { jar } = csrfApp()
    const visitor = jar()
    const tokens = [await visitor.text('/token'), await visitor.text('/token')]
    expect(tokens[0]).not.toBe(tokens[1])
    for (const token of tokens) {
      expect((await visitor.fetch('/form', form({ _csrf: token }))).status).toBe(200)
    }
  })

  it('refuses a token with any character changed, and garbage', async () => {
    const { jar } = csrfApp()
    const visitor = jar()
    const token = await visitor.text('/token')
    for (const i of [0, 20, 42, 43, 64, token.length - 2]) {
      const changed = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)
      expect((await visitor.fetch('/form', form({ _csrf: changed }))).status).toBe(403)
    }
    for (const garbage of ['', 'x', token + token, `${token.slice(0, -1)}=`]) {
      expect((await visitor.fetch('/form', form({ _csrf: garbage }))).status).toBe(403)
    }
  })
})

describe('createCsrf configuration', () => {
  it('throws CONFIG naming the key and how to declare it', () => {
    expect(
      codeAndMessage(() => createCsrf({ definition: loginSession, key: 'token' as 'csrf' }))
    ).toMatch(/^CONFIG: createCsrf: "token" is not a string key .*`token: csrfSecret\(\)`/)
    const numbers = defineSession(z.object({ counter: z.number().optional() }))
    expect(
      codeAndMessage(() => createCsrf({ definition: numbers, key: 'counter' as never }))
    ).toMatch(/^CONFIG: createCsrf: "counter" is not a string key/)
  })

  it('takes a key declared as a plain string too, and asks for csrfSecret() once when unnamed', () => {
    const plain = defineSession(z.object({ csrf: z.string().optional() }))
    expect(createCsrf({ definition: plain, key: 'csrf' }).field).toBe('_csrf')
    const unnamed = defineSession(z.object({ csrf: z.string().optional() }))
    // @ts-expect-error: without csrfSecret() the key must be named, at compile time too
    expect(codeAndMessage(() => createCsrf({ definition: unnamed }))).toMatch(
      /^CONFIG: createCsrf found no CSRF key .*add `csrf: csrfSecret\(\)`/
    )
  })

  it('asks which key when the schema declares several', () => {
    const two = defineSession(z.object({ a: csrfSecret(), b: csrfSecret() }))
    expect(codeAndMessage(() => createCsrf({ definition: two }))).toMatch(
      /several CSRF keys \(a, b\)/
    )
    expect(createCsrf({ definition: two, key: 'b' }).field).toBe('_csrf')
  })

  it('throws CONFIG for an empty field name', () => {
    expect(() => createCsrf({ definition: loginSession, field: '' })).toThrow(/`field`/)
  })
})
