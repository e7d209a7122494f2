import pg from 'pg'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { recordKeyOf } from 'typed-sessions'
import { countTwoVisitors } from '../test/helpers/http.js'
import { idOfCookie } from '../test/helpers/stores.js'
import { services, skipReasonFor } from '../test/helpers/services.js'

const probe = new pg.Pool({ connectionString: services.postgres })
const skipReason = await skipReasonFor('PostgreSQL', services.postgres, () =>
  probe.query('SELECT 1')
)
await probe.end()

// Imported only with a server: the example migrates its table at start-up.
const example = skipReason === undefined ? await import('./postgres.js') : undefined

describe.skipIf(example === undefined)('the PostgreSQL counter example', () => {
  const keys: string[] = []

  afterAll(async () => {
    // The example uses the default "public"."sessions": remove only this test's rows.
    await example?.pool.query('DELETE FROM "public"."sessions" WHERE key = ANY($1)', [keys])
    await example?.pool.end()
  })

  it('counts per visitor across requests and keeps each session in a row', async () => {
    const { app, pool } = example!
    const { alice, bob } = await countTwoVisitors(app)

    for (const [jar, counter] of [
      [alice, 3],
      [bob, 1],
    ] as const) {
      const key = recordKeyOf(idOfCookie(jar.cookies.get('id')!))
      keys.push(key)
      const { rows } = await pool.query(
        'SELECT data, version FROM "public"."sessions" WHERE key = $1',
        [key]
      )
      expect(rows).toStrictEqual([{ data: { counter }, version: counter - 1 }])
    }
  })
  it('keeps serving after the server terminates its idle pool connection', async () => {
    const { app, pool } = example!
    const admin = new pg.Client({ connectionString: services.postgres })
    await admin.connect()
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const idle = await pool.query('SELECT pg_backend_pid() AS pid')
      const lost = new Promise((resolve) => pool.once('error', resolve))
      await admin.query('SELECT pg_terminate_backend($1)', [idle.rows[0].pid])
      // The example's listener got it too: without one, this event would end the process.
      expect(((await lost) as { code?: string }).code).toBe('57P01')
      expect(quiet).toHaveBeenCalledWith(
        expect.stringContaining('idle connection'),
        expect.any(String)
      )

      const { alice, bob } = await countTwoVisitors(app)
      for (const jar of [alice, bob]) keys.push(recordKeyOf(idOfCookie(jar.cookies.get('id')!)))
    } finally {
      quiet.mockRestore()
      await admin.end()
    }
  })
})
