/**
 * What `DurableObjectStore` asks a `SessionDurableObject`; records travel as JSON text. A write
 * of a record bound to an owner carries the `nonce` of its owner-directory entry (added before
 * the write), or `keep: true` to keep the stored nonce when the stored record is bound to the
 * same owner already (no directory call). `check` is a listing's question: is the record live and
 * bound to `owner`? If not, the `nonces` of its entry are fenced (refused by any later write, until
 * each one's time), so the listing can drop them without losing a binding still on its way.
 */
export type SessionObjectRequest =
  | { op: 'create'; record: string; nonce?: string }
  | { op: 'load' }
  | { op: 'save'; record: string; expectedVersion?: number; nonce?: string; keep?: true }
  | { op: 'delete' }
  | { op: 'check'; owner: string; nonces: OwnerNonces }

/**
 * What a `SessionDurableObject` answers: `ok` for writes, `record` for a load or check that found
 * one, `invalid` (why) for a load that found a value it cannot decode; `previous`, the owner and
 * nonce a write replaced (their entry is now stale); `needsEntry`, a `keep` write whose record was
 * not bound to that owner (nothing written); `fenced`, a write whose nonce a listing fenced.
 */
export interface SessionObjectReply {
  ok?: boolean
  record?: string
  invalid?: string
  previous?: { owner: string; nonce: string }
  needsEntry?: boolean
  fenced?: boolean
}

/** An owner-directory entry: the nonces of the writes that bound the record, each with its expiry. */
export type OwnerNonces = Record<string, number>

/** What `DurableObjectStore` asks a `SessionOwnerDirectory` (one per owner key). */
export type OwnerDirectoryRequest =
  | { op: 'add'; key: string; nonce: string; until: number }
  | { op: 'list' }
  | { op: 'remove'; key: string; nonces: string[] }

/** What a `SessionOwnerDirectory` answers: `entries` for `list`, by record key. */
export interface OwnerDirectoryReply {
  entries?: Record<string, OwnerNonces>
}

/**
 * Answers one `DurableObjectStore` call to the object class `name`: the request's JSON body
 * handed to `handle`, its reply sent back as JSON; a body that is not JSON is a 400.
 */
export async function answerStoreCall<Message, Reply>(
  name: string,
  request: Request,
  handle: (message: Message) => Promise<Reply>
): Promise<Response> {
  let message: Message
  try {
    message = (await request.json()) as Message
  } catch {
    return new Response(`${name} expects a DurableObjectStore call.`, { status: 400 })
  }
  return Response.json(await handle(message))
}
