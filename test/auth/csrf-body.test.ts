import { describe, expect, it } from 'vitest'
import { createCsrf, type CsrfFailure } from 'typed-sessions/auth'
import { loginSession } from '../helpers/auth.js'
import { CookieJar, sessionApp } from '../helpers/http.js'

const MiB = 1024 * 1024
const CHUNK = 64 * 1024
const BOUNDARY = '----typed-sessions-7MA4YWxkTrZu0gW'

/**
 * A multipart upload of `size` bytes of file data as a stream, counting the bytes the server
 * pulled from it: what a client sends over a slow connection, never all at once.
 */
function upload(size: number, fields: Record<string, string> = {}) {
  const encoder = new TextEncoder()
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  )
  const head = encoder.encode(
    `${parts.join('')}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n`
  )
  const tail = encoder.encode(`\r\n--${BOUNDARY}--\r\n`)
  const data = new Uint8Array(CHUNK).fill(0x61)
  const counted = { pulled: 0 }
  const chunks = (function* () {
    yield head
    for (let sent = 0; sent < size; sent += CHUNK)
      yield data.subarray(0, Math.min(CHUNK, size - sent))
    yield tail
  })()
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks.next()
        if (next.done === true) return controller.close()
        counted.pulled += next.value.byteLength
        controller.enqueue(next.value)
      },
    },
    // Pulled only when read: `pulled` counts what the server asked for.
    { highWaterMark: 0 }
  )
  const init = (headers: Record<string, string> = {}) => ({
    method: 'POST',
    body,
    duplex: 'half',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
  })
  return { init, counted, length: head.byteLength + size + tail.byteLength }
}

function bodyApp(options: Parameters<ReturnType<typeof createCsrf>['protect']>[0] = {}) {
  const csrf = createCsrf({ definition: loginSession })
  const app = sessionApp(loginSession)
  app.use(csrf.protect(options))
  app.get('/token', async (c) => c.text(await csrf.token(c.var.session)))
  app.post('/upload', async (c) => {
    const form = await c.req.parseBody()
    return c.text(`${(form.file as File).size} ${form.note ?? ''}`)
  })
  return { app, jar: () => new CookieJar(app) }
}

describe('csrf.protect() and large bodies', () => {
  it('refuses a 64 MiB token-less upload to a missing route after reading at most the bound', async () => {
    const { jar } = bodyApp()
    const visitor = jar()
    await visitor.text('/token')
    const { init, counted } = upload(64 * MiB)
    const response = await visitor.fetch('/nowhere', init())
    expect(response.status).toBe(413)
    expect(await response.text()).toMatch(/send the token in the x-csrf-token header/)
    expect(counted.pulled).toBeLessThanOrEqual(MiB + 2 * CHUNK)
  })

  it('refuses a form whose Content-Length is over the bound without reading it', async () => {
    const { jar } = bodyApp()
    const visitor = jar()
    await visitor.text('/token')
    const { init, counted, length } = upload(64 * MiB)
    const response = await visitor.fetch('/upload', init({ 'content-length': String(length) }))
    expect(response.status).toBe(413)
    expect(counted.pulled).toBeLessThanOrEqual(CHUNK)
  })

  it('lets an upload of any size through with the token in the header, unread by protect()', async () => {
    const { jar } = bodyApp()
    const visitor = jar()
    const token = await visitor.text('/token')
    const { init } = upload(4 * MiB)
    const response = await visitor.fetch('/upload', init({ 'x-csrf-token': token }))
    expect(await response.text()).toBe(`${4 * MiB} `)
  })

  it('reads the token field of a form within the bound, and the handler reads the form again', async () => {
    const { jar } = bodyApp({ maxFormBytes: 64 * 1024 })
    const visitor = jar()
    const token = await visitor.text('/token')
    const small = upload(CHUNK / 2, { _csrf: token, note: 'hi' })
    expect(await visitor.text('/upload', small.init())).toBe(`${CHUNK / 2} hi`)
    const large = upload(CHUNK, { _csrf: token })
    expect((await visitor.fetch('/upload', large.init())).status).toBe(413)
  })

  it('never reads the body of a post that is not a form', async () => {
    const { jar } = bodyApp()
    const visitor = jar()
    await visitor.text('/token')
    for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
      const { init, counted } = upload(MiB)
      const response = await visitor.fetch('/upload', init({ 'content-type': type }))
      expect(response.status).toBe(403)
      expect(counted.pulled).toBe(0)
    }
  })

  it('answers 403, not 500, to a body that does not parse as the form it claims to be', async () => {
    const { jar } = bodyApp()
    const visitor = jar()
    await visitor.text('/token')
    const response = await visitor.fetch('/upload', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: 'not multipart at all',
    })
    expect(response.status).toBe(403)
  })

  it('hands the failure to onFailure, with its reason and status', async () => {
    const failures: CsrfFailure[] = []
    const { jar } = bodyApp({
      maxFormBytes: 1024,
      onFailure: (c, failure) => (failures.push(failure), c.text('custom', 418)),
    })
    const visitor = jar()
    await visitor.text('/token')
    const tooLarge = await visitor.fetch('/upload', upload(4096).init())
    const missing = await visitor.fetch('/upload', { method: 'POST' })
    const invalid = await visitor.fetch('/upload', {
      method: 'POST',
      headers: { 'x-csrf-token': 'forged' },
    })
    expect([tooLarge.status, missing.status, invalid.status]).toEqual([418, 418, 418])
    expect(failures.map(({ reason, status }) => [reason, status])).toEqual([
      ['form-too-large', 413],
      ['missing-token', 403],
      ['invalid-token', 403],
    ])
  })

  it('refuses a maxFormBytes that is not a whole number of bytes, and an onFailure that is not a function', () => {
    const csrf = createCsrf({ definition: loginSession })
    for (const maxFormBytes of [-1, 1.5, Number.NaN, '1mb' as never]) {
      expect(() => csrf.protect({ maxFormBytes })).toThrow(/maxFormBytes.*whole number of bytes/)
    }
    expect(() => csrf.protect({ onFailure: 'deny' as never })).toThrow(/`onFailure` is a function/)
  })
})
