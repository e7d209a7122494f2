export { SessionError, isSessionError } from './core/errors.js'
export type { SessionErrorCode } from './core/errors.js'
export { Expiry } from './core/expiry.js'
export type { ExpiryJson } from './core/expiry.js'
export type { JsonObject, JsonValue } from './core/json.js'
export { Session } from './core/session.js'
export type { SessionConfig } from './core/session.js'
export { generateSessionId, recordKeyOf } from './core/session-id.js'
export type { ScanOptions, SessionRecord, SessionStore } from './core/store.js'
export { defineSession } from './schema/define-session.js'
export type {
  DefineSessionOptions,
  InvalidDataInfo,
  OnInvalid,
  SchemaOf,
  SessionDefinition,
  SessionSchema,
} from './schema/define-session.js'
export { TypedSession } from './schema/typed-session.js'
export type { SessionKey, SessionReadValue, SessionValue } from './schema/typed-session.js'
export { MemoryStore } from './stores/memory-store.js'
export type { MemoryStoreOptions } from './stores/memory-store.js'
export type { CookieOptions } from './cookie/header.js'
