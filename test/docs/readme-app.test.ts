import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsumerProject, type ConsumerProject } from '../../scripts/consumer-project.js'
import { markedSnippet } from '../../scripts/snippets.js'
import { FetchJar } from '../helpers/fetch-jar.js'

// The README's complete app (the ts block after `<!-- readme-app -->`), pasted into a fresh ESM
// project over the built package and run with tsx as a newcomer runs it: a real server, driven
// over HTTP. README_APP_FILE=docs/readme-app-draft.md points it at another markdown file.
const root = fileURLToPath(new URL('../..', import.meta.url))
const markdown = process.env.README_APP_FILE ?? 'README.md'

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Resolves once the child prints `text`; rejects with its output if it exits first. */
async function waitFor(child: ChildProcess, text: string): Promise<void> {
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (output.includes(text)) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) =>
      reject(new Error(`the app exited (${code}) before "${text}":\n${output}`))
    )
  })
}

describe(`the complete app of ${markdown}`, () => {
  let project: ConsumerProject
  let child: ChildProcess
  let base: string

  beforeAll(async () => {
    const snippet = markedSnippet(
      markdown,
      await readFile(join(root, markdown), 'utf8'),
      'readme-app'
    )
    project = await createConsumerProject(root)
    await writeFile(join(project.dir, 'app.ts'), snippet.code)
    const port = await freePort()
    base = `http://localhost:${port}`
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), NODE_ENV: 'development' }
    delete env.SESSION_SECRET
    child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['app.ts'], {
      cwd: project.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    await waitFor(child, `http://localhost:${port}`)
  }, 60_000)

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM')
    await project?.remove()
  })

  const visitor = () => new FetchJar({ fetch: (request) => fetch(request) })
  const post = (jar: FetchJar, path: string, form: Record<string, string> = {}) =>
    jar.fetch(`${base}${path}`, {
      method: 'POST',
      body: new URLSearchParams(form),
      redirect: 'manual',
    })

  it('counts visits, logs in with a new session id, keeps the count, and logs out', async () => {
    const jar = visitor()
    const first = await jar.text(`${base}/`)
    expect(first).toContain('Visit 1.')
    expect(first).toContain('action="/login"')
    expect(await jar.text(`${base}/`)).toContain('Visit 2.')
    const anonymous = new Map(jar.cookies)

    const wrong = await post(jar, '/login', { username: 'ada', password: 'babbage' })
    expect(wrong.status).toBe(401)
    const login = await post(jar, '/login', { username: 'ada', password: 'lovelace' })
    expect(login.status).toBe(302)
    expect(login.headers.get('location')).toBe('/')
    expect(jar.cookies).not.toEqual(anonymous) // the id was cycled at login

    const home = await jar.text(`${base}/`)
    expect(home).toContain('Visit 3.')
    expect(home).toContain('Hello, Ada Lovelace.')
    expect(await (await jar.fetch(`${base}/me`)).json()).toEqual({ name: 'Ada Lovelace' })
    const loggedIn = new Map(jar.cookies)

    const logout = await post(jar, '/logout')
    expect(logout.status).toBe(302)
    expect(jar.cookies.size).toBe(0) // the removal cookie
    const after = await jar.text(`${base}/`)
    expect(after).toContain('Visit 1.')
    expect(after).toContain('action="/login"')

    // The logged-in cookie, replayed after the logout, logs nobody in.
    const replay = visitor()
    for (const [name, value] of loggedIn) replay.cookies.set(name, value)
    expect((await replay.fetch(`${base}/me`)).status).toBe(401)
  })

  it('answers 401 at the members-only page to a visitor who is not logged in', async () => {
    const response = await visitor().fetch(`${base}/me`, {
      headers: { accept: 'application/json' },
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ error: 'unauthenticated' })
  })
})
