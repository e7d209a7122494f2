export { SessionError, isSessionError } from './core/errors.js'
export type { SessionErrorCode } from './core/errors.js'
export type {
  ConflictEvent,
  CreatedEvent,
  CycledEvent,
  EventIssue,
  ExpiredEvent,
  FlushedEvent,
  InvalidEvent,
  LoadedEvent,
  SavedEvent,
  SessionEvent,
  SessionEvents,
  StoreErrorEvent,
} from './core/events.js'
export { Expiry } from './core/expiry.js'
export type { JsonObject, JsonValue } from './core/json.js'
export { Session } from './core/session.js'
export { IN_PROCESS_CALLS, type InProcessCalls } from './core/in-process-calls.js'
export type { SessionConfig } from './core/session.js'
export { generateSessionId, recordKeyOf } from './core/session-id.js'
export { handleOf, ownerKeyOf } from './core/owner.js'
export type { CreateOptions, ScanOptions, SessionRecord, SessionStore } from './core/store.js'
export { defineSession } from './schema/define-session.js'
export { MigrationStep, versioned, Versioned } from './schema/versioned.js'
export type { SchemaVersion } from './schema/versioned.js'
export { migrateStore } from './schema/migrate-store.js'
export type { MigrateStoreOptions, MigrateStoreReport } from './schema/migrate-store.js'
export { upgradeData } from './schema/upgrade.js'
export type { UpgradeResult } from './schema/upgrade.js'
export type {
  DefineSessionOptions,
  InvalidDataInfo,
  OnInvalid,
  SchemaOf,
  SessionDefinition,
  SessionSchema,
  StorableSchema,
  StorableSchemaArgument,
  UnstorableKeyError,
} from './schema/define-session.js'
export { TypedSession } from './schema/typed-session.js'
export type {
  ClientInfo,
  DeepReadonly,
  FlashKey,
  FlashMessage,
  SessionKey,
  SessionReadValue,
  SessionSnapshot,
  SessionValue,
} from './schema/session-types.js'
export { flash } from './schema/flash.js'
export { redactSensitive, sensitive } from './schema/sensitive.js'
export { MemoryStore } from './stores/memory-store.js'
export { CachingStore } from './stores/caching-store.js'
export type { CachingStoreOptions } from './stores/caching-store.js'
export { CookieStore } from './stores/cookie-store.js'
export type { CookieStoreOptions } from './stores/cookie-store.js'
export { startExpiredDeletion } from './core/expired-deletion.js'
export type {
  ExpiredDeletionFailure,
  ExpiredDeletionOptions,
  StopExpiredDeletion,
} from './core/expired-deletion.js'
export type { MemoryStoreOptions } from './stores/memory-store.js'
export type { CookieOptions } from './cookie/header.js'
