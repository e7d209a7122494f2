import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSession, flash, type SessionStore } from 'typed-sessions'
import { sessionApp, sessionCookie } from '../helpers/http.js'
import { holdPoint, racingStores, type RacingStores } from '../helpers/race-stores.js'

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

/**
 * Flashes 'first', then holds page A after it showed the messages and before it saved: the
 * other app (a second process on the SQLite file) then runs requests of the same session.
 */
async function showingHeld(stores: RacingStores) {
  const [storeA, storeB] = await stores.open()
  const held = holdPoint()
  const other = flashApp(storeB)
  const first = await other.request('/add/first', { method: 'POST' })
  const headers = { cookie: `id=${sessionCookie(first)!.value}` }
  const showing = flashApp(storeA, held.hold).request('/show', { headers })
  await held.arrived
  const show = async () => (await other.request('/show', { headers })).json()
  const add = async (text: string) =>
    (await other.request(`/add/${text}`, { method: 'POST', headers })).status
  const release = async () => (held.release(), (await showing).json())
  return { show, add, release }
}

for (const stores of racingStores()) {
  describe(`flash messages under racing requests, ${stores.name}`, () => {
    afterAll(() => stores.close())

    it.each([
      ['another message', 'second'],
      ['the same text again', 'first'],
    ])('keeps a message flashed while a page showed the earlier ones (%s)', async (_, next) => {
      const race = await showingHeld(stores)
      // A showed ['first'] and is held before its save; B flashes `next` and saves meanwhile.
      expect(await race.add(next)).toBe(200)
      expect(await race.release()).toEqual(['first'])
      expect(await race.show()).toEqual([next])
      expect(await race.show()).toEqual([])
    })

    it('shows each message once when two pages consume at once, losing none', async () => {
      const race = await showingHeld(stores)
      // B shows 'first' too (both read it before either saved), then 'second' is flashed.
      expect(await race.show()).toEqual(['first'])
      expect(await race.add('second')).toBe(200)
      expect(await race.release()).toEqual(['first'])
      expect(await race.show()).toEqual(['second'])
    })
  })
}
