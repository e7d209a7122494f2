/* global require, console, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS consumer is the point of this file */
// A CommonJS consumer: require() of the ES module package (Node >= 20.19 loads it).
const assert = require('node:assert/strict')
const { Hono } = require('hono')
const { z } = require('zod')
const { defineSession, MemoryStore, isSessionError } = require('typed-sessions')
const { sessionMiddleware } = require('typed-sessions/hono')
const { createAuth } = require('typed-sessions/auth')

const session = defineSession(z.object({ counter: z.number().int().default(0) }))
assert.equal(typeof createAuth, 'function')
const app = new Hono()
app.use(
  sessionMiddleware(session, {
    secret: 'a compatibility test secret, 32+ characters',
    store: new MemoryStore(),
  })
)
app.get('/', async (c) => {
  const n = await c.var.session.get('counter')
  await c.var.session.set('counter', n + 1)
  return c.text(String(n))
})

;(async () => {
  const first = await app.request('/')
  const cookie = first.headers.get('set-cookie').split(';')[0]
  assert.equal(await first.text(), '0')
  assert.equal(await (await app.request('/', { headers: { cookie } })).text(), '1')
  assert.equal(isSessionError(new Error('x')), false)
  console.log(`ok: require('typed-sessions') works on Node ${process.version}`)
})()
