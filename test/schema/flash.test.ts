import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, flash, type SessionStore } from 'typed-sessions'
import { gate } from '../helpers/concurrency-suite.js'
import { sessionApp, sessionCookie } from '../helpers/http.js'
import { racingStores } from '../helpers/race-stores.js'

const flashSession = defineSession(z.object({ notices: flash(z.string()) }))

/** POST /add/:text flashes a message; GET /show consumes them, then waits on `hold`. */
function flashApp(store: SessionStore, hold?: () => Promise<void>) {
  const app = sessionApp(flashSession, { store })
  app.post('/add/:text', async (c) => {
    await c.var.session.flash('notices', c.req.param('text'))
    return c.text('ok')
  })
  app.get('/show', async (c) => {
    const messages = await c.var.session.consumeFlash('notices')
    await hold?.()
    return c.json(messages)
  })
  return app
}

for (const stores of racingStores()) {
  describe(`flash messages under racing requests, ${stores.name}`, () => {
    afterAll(() => stores.close())

    it.each([
      ['another message', 'second'],
      ['the same text again', 'first'],
    ])('keeps a message flashed while a page showed the earlier ones (%s)', async (_, next) => {
      const [storeA, storeB] = await stores.open()
      const held = gate(1)
      const pageA = flashApp(storeA, held.hold)
      const other = flashApp(storeB)
      const first = await other.request('/add/first', { method: 'POST' })
      const headers = { cookie: `id=${sessionCookie(first)!.value}` }

      // A shows ['first'] and is held before its save; B flashes `next` and saves meanwhile.
      const showing = pageA.request('/show', { headers })
      await held.allArrived
      expect((await other.request(`/add/${next}`, { method: 'POST', headers })).status).toBe(200)
      held.release()
      expect(await (await showing).json()).toEqual(['first'])

      expect(await (await other.request('/show', { headers })).json()).toEqual([next])
      expect(await (await other.request('/show', { headers })).json()).toEqual([])
    })

    it('shows each message once when two pages consume at once, losing none', async () => {
      const [storeA, storeB] = await stores.open()
      const held = gate(1)
      const pageA = flashApp(storeA, held.hold)
      const other = flashApp(storeB)
      const first = await other.request('/add/first', { method: 'POST' })
      const headers = { cookie: `id=${sessionCookie(first)!.value}` }

      const showing = pageA.request('/show', { headers })
      await held.allArrived
      // B shows 'first' too (both read it before either saved), then 'second' is flashed.
      expect(await (await other.request('/show', { headers })).json()).toEqual(['first'])
      await other.request('/add/second', { method: 'POST', headers })
      held.release()
      expect(await (await showing).json()).toEqual(['first'])
      expect(await (await other.request('/show', { headers })).json()).toEqual(['second'])
    })
  })
}
