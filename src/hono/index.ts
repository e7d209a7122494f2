export { sessionMiddleware } from './middleware.js'
export type { SessionEnv, SessionMiddlewareOptions } from './middleware.js'
export type { ClientIpOf } from './client-info.js'
