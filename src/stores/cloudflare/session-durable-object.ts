import type { SessionRecord } from '../../core/store.js'
import { decodeRecordText } from '../record-json.js'
import type { DurableObjectStateBinding } from './bindings.js'
import type {
  OwnerNonces,
  SessionObjectReply,
  SessionObjectRequest,
} from './session-object-protocol.js'
import { answerStoreCall } from './session-object-protocol.js'

const RECORD = 'record'
/** The nonce of the owner-directory entry the stored record was bound under. */
const OWNER_NONCE = 'owner-nonce'
/** Nonces a listing fenced (see `check`), each with the time after which it is harmless. */
const FENCES = 'fences'

/**
 * The Durable Object class behind `DurableObjectStore`: one instance per session, holding its
 * record. Each request reads and writes storage without awaiting anything else, so the runtime's
 * input gate lets no other request of this object interleave: `create` and a compare-and-set
 * `save` are atomic. An alarm at the record's `expiresAt` deletes it.
 * Export it from your Worker's main module under this name and bind it (see `DurableObjectStore`).
 * @example export { SessionDurableObject } from 'typed-sessions/cloudflare'
 */
export class SessionDurableObject {
  readonly #state: DurableObjectStateBinding

  constructor(state: DurableObjectStateBinding, _env?: unknown) {
    this.#state = state
  }

  /** Answers one `DurableObjectStore` call. */
  fetch(request: Request): Promise<Response> {
    return answerStoreCall('SessionDurableObject', request, (message: SessionObjectRequest) =>
      this.#handle(message)
    )
  }

  /**
   * Deletes the record once it has expired, and fences past their time; a record saved with a
   * later expiry re-arms it. A value that cannot be decoded is deleted too: its session already
   * reads as invalid.
   */
  async alarm(): Promise<void> {
    const stored = await this.#stored()
    if (stored.kind !== 'live' && stored.kind !== 'none') await this.#deleteRecord()
    const fences = await this.#fences()
    const now = Date.now()
    for (const [nonce, until] of Object.entries(fences)) if (until <= now) delete fences[nonce]
    await this.#putFences(fences)
    await this.#arm()
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
        return this.#write(message.record, message.nonce, stored)
      case 'save': {
        if (
          message.expectedVersion !== undefined &&
          (stored.kind !== 'live' || stored.version !== message.expectedVersion)
        ) {
          return { ok: false }
        }
        let nonce = message.nonce
        if (message.keep === true) {
          // Kept only while bound to this owner: its entry then holds that nonce already.
          const { owner } = decodeRecordText('', message.record)
          if (owner !== undefined) {
            if (stored.kind !== 'live' || stored.owner !== owner || stored.nonce === undefined) {
              return { needsEntry: true }
            }
            nonce = stored.nonce
          }
        }
        return this.#write(message.record, nonce, stored)
      }
      case 'delete':
        await this.#deleteRecord()
        return { ok: true, ...previousOf(stored, undefined, undefined) }
      case 'check':
        if (stored.kind === 'live' && stored.owner === message.owner) return { record: stored.text }
        await this.#fence(message.nonces)
        return {}
    }
  }

  get #storage() {
    return this.#state.storage
  }

  /**
   * What storage holds: nothing, an expired record, a live one (its text, version, expiry, owner
   * and its entry's nonce), or a value that cannot be decoded (a corrupt or hand-written one),
   * which is the store's to report as invalid stored data, never a failure of the object.
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
    const { expiresAt, version, owner } = record
    const nonce = (await this.#storage.get(OWNER_NONCE)) as string | undefined
    const bound = {
      ...(owner === undefined ? {} : { owner }),
      ...(nonce === undefined ? {} : { nonce }),
    }
    if (expiresAt <= Date.now()) return { kind: 'expired', ...bound }
    return { kind: 'live', text: value, version, expiresAt, ...bound }
  }

  /** Writes `text` bound under `nonce` (refused if a listing fenced it), replacing `stored`. */
  async #write(
    text: string,
    nonce: string | undefined,
    stored: StoredValue
  ): Promise<SessionObjectReply> {
    if (nonce !== undefined && (await this.#fences())[nonce] !== undefined) return { fenced: true }
    const { owner } = decodeRecordText('', text)
    await this.#storage.put(RECORD, text)
    if (owner !== undefined && nonce !== undefined) await this.#storage.put(OWNER_NONCE, nonce)
    else await this.#storage.delete(OWNER_NONCE)
    await this.#arm()
    return { ok: true, ...previousOf(stored, owner, nonce) }
  }

  async #deleteRecord(): Promise<void> {
    if (Object.keys(await this.#fences()).length === 0) return this.#storage.deleteAll()
    await this.#storage.delete(RECORD)
    await this.#storage.delete(OWNER_NONCE)
  }

  /** Fences `nonces` whose time has not passed: no write carrying one is accepted from now on. */
  async #fence(nonces: OwnerNonces): Promise<void> {
    const now = Date.now()
    const fences = await this.#fences()
    const fresh = Object.entries(nonces).filter(([, until]) => until > now)
    if (fresh.length === 0) return
    for (const [nonce, until] of fresh) fences[nonce] = Math.max(until, fences[nonce] ?? 0)
    await this.#putFences(fences)
    await this.#arm()
  }

  async #fences(): Promise<OwnerNonces> {
    return ((await this.#storage.get(FENCES)) as OwnerNonces | undefined) ?? {}
  }

  async #putFences(fences: OwnerNonces): Promise<void> {
    if (Object.keys(fences).length === 0) await this.#storage.delete(FENCES)
    else await this.#storage.put(FENCES, fences)
  }

  /** Sets the alarm at the first of the record's expiry and its fences' times, if any. */
  async #arm(): Promise<void> {
    const stored = await this.#stored()
    const times = Object.values(await this.#fences())
    if (stored.kind === 'live') times.push(stored.expiresAt)
    else if (stored.kind !== 'none') times.push(Date.now())
    if (times.length > 0) await this.#storage.setAlarm(Math.min(...times))
  }
}

/** The owner and nonce `stored` was bound under, when a write binding `owner`/`nonce` ends them. */
function previousOf(
  stored: StoredValue,
  owner: string | undefined,
  nonce: string | undefined
): Pick<SessionObjectReply, 'previous'> {
  if (stored.kind === 'none' || stored.kind === 'invalid') return {}
  if (stored.owner === undefined || stored.nonce === undefined) return {}
  if (stored.owner === owner && stored.nonce === nonce) return {}
  return { previous: { owner: stored.owner, nonce: stored.nonce } }
}

type Bound = { owner?: string; nonce?: string }
type StoredValue =
  | { kind: 'none' }
  | ({ kind: 'expired' } & Bound)
  | { kind: 'invalid'; reason: string }
  | ({ kind: 'live'; text: string; version: number; expiresAt: number } & Bound)
