import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { handleOf, recordKeyOf } from 'typed-sessions'
import { runCapturing } from '../helpers/cli.js'
import { loggedIn, perUserApp } from '../helpers/per-user-app.js'
import { idOfCookie } from '../helpers/stores.js'

// The CLI's sessions-per-user commands: list a user's sessions, revoke one by handle, revoke all.

const config = ['--config', 'test/cli/fixtures/per-user.config.ts']
const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
let made: ReturnType<typeof perUserApp>

beforeEach(() => {
  made = perUserApp()
  ;(globalThis as { cliTestStore?: unknown }).cliTestStore = made.store
})
afterEach(() => {
  delete (globalThis as { cliTestStore?: unknown }).cliTestStore
  delete process.env.CLI_TEST_NO_INDEX
})

const handleOfJar = (jar: { cookies: Map<string, string> }) =>
  handleOf(recordKeyOf(idOfCookie(jar.cookies.get('id')!)))

describe('typed-sessions sessions / revoke / revoke-user', () => {
  it("lists a user's sessions as JSON, with the app's sensitive fields redacted", async () => {
    const headers = { 'User-Agent': firefox, 'X-Test-IP': '198.51.100.23' }
    const jar = await loggedIn(made, 'ada', headers, 'Work laptop')
    await loggedIn(made, 'bob')
    const run = await runCapturing(['sessions', 'ada', '--json', ...config])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual([
      {
        handle: handleOfJar(jar),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        loginAt: expect.stringMatching(/^\d{4}-/),
        lastSeenAt: expect.stringMatching(/^\d{4}-/),
        userAgent: 'Firefox 133 on Linux',
        ip: '198.51.100.0',
        deviceName: '[redacted]',
      },
    ])
    expect(run.stdout).not.toContain('Work laptop')
    expect(run.stdout).not.toContain(jar.cookies.get('id')!.split('.')[0])
  })

  it('lists them as text, one line each', async () => {
    await loggedIn(made, 'ada', { 'User-Agent': firefox })
    await loggedIn(made, 'ada')
    const run = await runCapturing(['sessions', 'ada', ...config])
    const lines = run.stdout.split('\n')
    expect(lines[0]).toBe('2 live sessions of user ada')
    expect(lines.slice(1).every((line) => /^ {2}[\w-]{22} {2}.+ logged in \d{4}-/.test(line))).toBe(
      true
    )
    expect(run.stdout).toContain('Firefox 133 on Linux')
  })

  it('revokes one session by its handle; a handle of another user is refused with exit 1', async () => {
    const phone = await loggedIn(made, 'ada')
    const laptop = await loggedIn(made, 'ada')
    const bob = await loggedIn(made, 'bob')
    const wrongUser = await runCapturing(['revoke', handleOfJar(bob), '--user', 'ada', ...config])
    expect(wrongUser).toMatchObject({ code: 1, stderr: expect.stringMatching(/No live session/) })
    expect(await bob.text('/me')).toBe('bob')
    const run = await runCapturing([
      'revoke',
      handleOfJar(phone),
      '--user',
      'ada',
      '--json',
      ...config,
    ])
    expect(run).toMatchObject({ code: 0, stdout: '{"revoked":true}' })
    expect(await phone.text('/me')).toBe('nobody')
    expect(await laptop.text('/me')).toBe('ada')
  })

  it('revokes every session of a user', async () => {
    const jars = [await loggedIn(made, 'ada'), await loggedIn(made, 'ada')]
    const run = await runCapturing(['revoke-user', 'ada', ...config])
    expect(run).toMatchObject({ code: 0, stdout: 'ended 2 sessions of user ada' })
    for (const jar of jars) expect(await jar.text('/me')).toBe('nobody')
    expect((await runCapturing(['revoke-user', 'ada', '--json', ...config])).stdout).toBe(
      '{"ended":0}'
    )
  })

  it('says which stores can, for a store without an owner index', async () => {
    process.env.CLI_TEST_NO_INDEX = '1'
    const run = await runCapturing(['sessions', 'ada', ...config])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^CONFIG: `sessions` needs a store that keeps an index.*MemoryStore/)
  })

  it('exits 2 for revoke without --user, --user elsewhere, or a missing user id', async () => {
    for (const argv of [
      ['revoke', 'x'.repeat(22)],
      ['sessions', 'ada', '--user', 'ada'],
      ['sessions'],
      ['revoke-user'],
    ]) {
      const run = await runCapturing([...argv, ...config])
      expect(run.code, argv.join(' ')).toBe(2)
      expect(run.stderr).toMatch(/Usage: typed-sessions/)
    }
  })
})
