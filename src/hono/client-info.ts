import type { Context } from 'hono'
import type { ClientInfo } from '../schema/session-types.js'
import { peerAddress } from '../web/peer-address.js'

/** How the middleware finds the client's IP address: `sessionMiddleware`'s `clientIp` option. */
export type ClientIpOf = (c: Context) => string | undefined

/**
 * The peer address of the connection, as the runtime reports it (`peerAddress`): never a
 * forwarded header, which any client can send. Behind a proxy, pass `clientIp` to say which
 * header the proxy sets.
 */
export function peerAddressOf(c: Context): string | undefined {
  return peerAddress(c.env, c.req.raw)
}

/** The client details of one request, read when first asked for. */
export function clientInfoOf(c: Context, clientIp: ClientIpOf): () => ClientInfo {
  let info: ClientInfo | undefined
  return () => (info ??= Object.freeze({ userAgent: c.req.header('user-agent'), ip: clientIp(c) }))
}
