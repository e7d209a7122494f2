import { decodeRecordText } from '../record-json.js'
import type { DurableObjectStateBinding } from './bindings.js'
import type { SessionObjectReply, SessionObjectRequest } from './session-object-protocol.js'

const RECORD = 'record'

/**
 * The Durable Object class behind `DurableObjectStore`: one instance per session, holding its
 * record. Each request reads and writes storage without awaiting anything else, so the runtime's
 * input gate lets no other request of this object interleave: `create` and a compare-and-set
 * `save` are atomic. An alarm at the record's `expiresAt` deletes all of its storage.
 * Export it from your Worker's main module under this name and bind it (see `DurableObjectStore`).
 * @example export { SessionDurableObject } from 'typed-sessions/cloudflare'
 */
export class SessionDurableObject {
  readonly #state: DurableObjectStateBinding

  constructor(state: DurableObjectStateBinding, _env?: unknown) {
    this.#state = state
  }

  /** Answers one `DurableObjectStore` call. */
  async fetch(request: Request): Promise<Response> {
    let message: SessionObjectRequest
    try {
      message = (await request.json()) as SessionObjectRequest
    } catch {
      return new Response('SessionDurableObject expects a DurableObjectStore call.', {
        status: 400,
      })
    }
    return Response.json(await this.#handle(message))
  }

  /** Deletes the record once it has expired; a record saved with a later expiry re-arms it. */
  async alarm(): Promise<void> {
    const text = await this.#storage.get(RECORD)
    if (typeof text !== 'string') return
    const { expiresAt } = decodeRecordText('', text)
    if (expiresAt <= Date.now()) await this.#storage.deleteAll()
    else await this.#storage.setAlarm(expiresAt)
  }

  async #handle(message: SessionObjectRequest): Promise<SessionObjectReply> {
    const stored = await this.#live()
    switch (message.op) {
      case 'load':
        return stored === undefined ? {} : { record: stored.text }
      case 'create':
        if (stored !== undefined) return { ok: false }
        await this.#write(message.record)
        return { ok: true }
      case 'save':
        if (message.expectedVersion !== undefined && stored?.version !== message.expectedVersion) {
          return { ok: false }
        }
        await this.#write(message.record)
        return { ok: true }
      case 'delete':
        await this.#storage.deleteAll()
        return { ok: true }
    }
  }

  get #storage() {
    return this.#state.storage
  }

  /** The stored record's text and version, unless there is none or it has expired. */
  async #live(): Promise<{ text: string; version: number } | undefined> {
    const text = await this.#storage.get(RECORD)
    if (typeof text !== 'string') return undefined
    const { expiresAt, version } = decodeRecordText('', text)
    return expiresAt > Date.now() ? { text, version } : undefined
  }

  async #write(text: string): Promise<void> {
    const { expiresAt } = decodeRecordText('', text)
    await this.#storage.put(RECORD, text)
    await this.#storage.setAlarm(expiresAt)
  }
}
