import type { Context } from 'hono'

/** The form content types whose body can carry the token field: what an HTML form posts. */
const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i

/** What `readFormToken` found. */
export type FormToken =
  /** Not a form: its body is never read for a token. */
  | { readonly kind: 'not-a-form' }
  /** A form larger than `maxBytes`: refused, read no further than the bound. */
  | { readonly kind: 'too-large' }
  /** The field's value (undefined when absent, or when the body does not parse as a form). */
  | { readonly kind: 'form'; readonly token: unknown }

/**
 * The token field of a form post, reading at most `maxBytes` of its body. A declared
 * `Content-Length` over the bound is refused before a byte is read; a body without one is read
 * until it passes the bound. Within the bound the form is parsed once, through Hono, which caches
 * it: the handler's `c.req.parseBody()` reads the same form again.
 */
export async function readFormToken(
  c: Context,
  field: string,
  maxBytes: number
): Promise<FormToken> {
  if (!FORM_TYPES.test(c.req.header('content-type') ?? '')) return { kind: 'not-a-form' }
  const request = c.req.raw
  const declared = request.headers.get('content-length')
  if (declared !== null && !request.headers.has('transfer-encoding')) {
    if (!(Number(declared) <= maxBytes)) return { kind: 'too-large' }
  }
  if (request.body !== null) {
    const body = await readAtMost(request.body, maxBytes)
    if (body === undefined) return { kind: 'too-large' }
    // The stream is spent: the request the app sees from here on carries the bytes read.
    c.req.raw = new Request(request, { body })
  }
  try {
    return { kind: 'form', token: (await c.req.parseBody())[field] }
  } catch {
    // A body that does not parse as the form it claims to be carries no token.
    return { kind: 'form', token: undefined }
  }
}

/** The bytes of `stream`, or undefined (and the stream cancelled) once it passes `maxBytes`. */
async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      void reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
