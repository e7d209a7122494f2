/** What `DurableObjectStore` asks a `SessionDurableObject`; records travel as JSON text. */
export type SessionObjectRequest =
  | { op: 'create'; record: string }
  | { op: 'load' }
  | { op: 'save'; record: string; expectedVersion?: number }
  | { op: 'delete' }

/**
 * What a `SessionDurableObject` answers: `ok` for writes, `record` for a load that found one,
 * `invalid` (why) for a load that found a value it cannot decode.
 */
export interface SessionObjectReply {
  ok?: boolean
  record?: string
  invalid?: string
}
