export { createAuth } from './user-auth.js'
export type {
  Auth,
  AuthOptions,
  LoginKey,
  LoginOptions,
  NoUserKeyError,
  UserIdOf,
  UserKey,
} from './user-auth.js'
export type {
  IpPolicy,
  SessionFieldsSchema,
  SessionInfo,
  SessionInfoBase,
  SessionsPerUserOptions,
  WhenFull,
} from './sessions-per-user.js'
export type { FreshFailure, RequireFreshOptions } from './require-fresh.js'
export type { AuthFailure, RequireUserOptions, UserCheck } from './require-user.js'
export { createCsrf } from './csrf.js'
export { csrfSecret } from './csrf-secret.js'
export type { CsrfSecretSchema } from './csrf-secret.js'
export type {
  Csrf,
  CsrfFailure,
  CsrfKey,
  CsrfKeyArgument,
  CsrfOptions,
  NoCsrfKeyError,
  ProtectOptions,
} from './csrf.js'
export type { FailureHandler, Refusal } from './failure.js'
export { safeRedirect } from './safe-redirect.js'
