export { createAuth } from './user-auth.js'
export type { Auth, AuthOptions, RequireUserOptions, UserIdOf, UserKey } from './user-auth.js'
export { createCsrf } from './csrf.js'
export type { Csrf, CsrfKey, CsrfOptions } from './csrf.js'
