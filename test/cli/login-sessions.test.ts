import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCsrf } from 'typed-sessions/auth'
import { loginSession, testAuth } from '../helpers/auth.js'
import { runCapturing } from '../helpers/cli.js'
import { CookieJar, sessionApp } from '../helpers/http.js'
import { sqliteFiles } from '../helpers/sqlite-files.js'
import { recordOfCookie } from '../helpers/stores.js'

const sqlite = sqliteFiles()
afterAll(() => sqlite.remove())
const config = ['--config', 'test/cli/fixtures/login.config.ts']

// 12 visitors with a CSRF token each, 6 of whom log in: 12 sessions, and 6 moved markers.
const visitors: { before: string; after?: string }[] = []
let store: Awaited<ReturnType<typeof sqlite.migratedStore>>['store']

beforeAll(async () => {
  process.env.CLI_TEST_LOGIN_SQLITE = sqlite.newFile()
  ;({ store } = await sqlite.migratedStore(
    {},
    sqlite.openDatabase(process.env.CLI_TEST_LOGIN_SQLITE)
  ))
  const { auth, users } = testAuth()
  const csrf = createCsrf({ definition: loginSession })
  const app = sessionApp(loginSession, { store })
  app.get('/visit', async (c) => {
    await c.var.session.update('counter', (n) => n + 1)
    return c.text(await csrf.token(c.var.session))
  })
  app.post(
    '/login',
    async (c) => (await auth.login(c.var.session, users.get('ada')!), c.text('ok'))
  )
  for (let i = 0; i < 12; i++) {
    const jar = new CookieJar(app)
    await jar.text('/visit')
    const visitor: (typeof visitors)[number] = { before: jar.cookies.get('id')! }
    if (i % 2 === 0) {
      await jar.fetch('/login', { method: 'POST' })
      visitor.after = jar.cookies.get('id')!
    }
    visitors.push(visitor)
  }
})

describe('the CLI on the sessions of a login app', () => {
  it('counts 12 sessions after 12 visitors and 6 logins: the markers logins leave are none', async () => {
    const run = await runCapturing(['stats', '--json', ...config])
    expect(JSON.parse(run.stdout)).toMatchObject({ sessions: 12, versions: { '1': 12 } })
    const migrate = await runCapturing(['migrate', '--dry-run', '--json', ...config])
    expect(JSON.parse(migrate.stdout)).toMatchObject({ scanned: 12, current: 12, invalid: 0 })
  })

  it('redacts the CSRF secret and the auth hash, loading only the definition module', async () => {
    const cookie = visitors[0]!.after!
    const stored = (await recordOfCookie(store, cookie))!.data as {
      csrf: string
      user: { authHash: string }
    }
    // Its own process: nothing of the app (createCsrf, createAuth) runs in it.
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'src/cli/main.ts', 'inspect', cookie, '--json', ...config],
      { env: process.env }
    )
    expect(JSON.parse(stdout).data).toEqual({
      counter: 1,
      user: { id: 'ada', authHash: '[redacted]' },
      csrf: '[redacted]',
      $session: { loginAt: expect.any(Number), lastSeenAt: expect.any(Number) },
    })
    expect(stdout).not.toContain(stored.csrf)
    expect(stdout).not.toContain(`"${stored.user.authHash}"`)
  })

  it('redacts the CSRF secret of a visitor who never logged in', async () => {
    const run = await runCapturing(['inspect', visitors[1]!.before, '--json', ...config])
    expect(JSON.parse(run.stdout).data).toEqual({ counter: 1, csrf: '[redacted]' })
  })

  it('says that a pre-login cookie moved to a new id, and shows no marker', async () => {
    const run = await runCapturing(['inspect', visitors[0]!.before, ...config])
    expect(run).toMatchObject({ code: 1, stdout: '' })
    expect(run.stderr).toMatch(/moved to a new id at a login/)
  })
})
