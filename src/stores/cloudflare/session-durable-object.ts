import type { SessionRecord } from '../../core/store.js'
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

  /**
   * Deletes the record once it has expired; a record saved with a later expiry re-arms it. A
   * value that cannot be decoded is deleted too: its session already reads as invalid.
   */
  async alarm(): Promise<void> {
    const stored = await this.#stored()
    if (stored.kind === 'live') await this.#storage.setAlarm(stored.expiresAt)
    else if (stored.kind !== 'none') await this.#storage.deleteAll()
  }

  async #handle(message: SessionObjectRequest): Promise<SessionObjectReply> {
    const stored = await this.#stored()
    switch (message.op) {
      case 'load':
        if (stored.kind === 'invalid') return { invalid: stored.reason }
        return stored.kind === 'live' ? { record: stored.text } : {}
      case 'create':
        // A value that cannot be decoded still holds the key: the engine draws another id.
        if (stored.kind === 'live' || stored.kind === 'invalid') return { ok: false }
        await this.#write(message.record)
        return { ok: true }
      case 'save':
        if (
          message.expectedVersion !== undefined &&
          (stored.kind !== 'live' || stored.version !== message.expectedVersion)
        ) {
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

  /**
   * What storage holds: nothing, an expired record, a live one (its text, version and expiry),
   * or a value that cannot be decoded (a corrupt or hand-written one), which is the store's to
   * report as invalid stored data, never a failure of the object.
   */
  async #stored(): Promise<StoredValue> {
    const value = await this.#storage.get(RECORD)
    if (value === undefined) return { kind: 'none' }
    if (typeof value !== 'string') return { kind: 'invalid', reason: 'the value is not JSON text' }
    let record: SessionRecord
    try {
      record = decodeRecordText('', value)
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause
      return { kind: 'invalid', reason: cause instanceof Error ? cause.message : String(error) }
    }
    const { expiresAt, version } = record
    if (expiresAt <= Date.now()) return { kind: 'expired' }
    return { kind: 'live', text: value, version, expiresAt }
  }

  async #write(text: string): Promise<void> {
    const { expiresAt } = decodeRecordText('', text)
    await this.#storage.put(RECORD, text)
    await this.#storage.setAlarm(expiresAt)
  }
}

type StoredValue =
  | { kind: 'none' | 'expired' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'live'; text: string; version: number; expiresAt: number }
