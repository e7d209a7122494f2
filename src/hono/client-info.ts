import type { Context } from 'hono'
import type { ClientInfo } from '../schema/typed-session.js'

/** How the middleware finds the client's IP address: `sessionMiddleware`'s `clientIp` option. */
export type ClientIpOf = (c: Context) => string | undefined

/**
 * The peer address of the connection, as the runtime reports it: the Node adapter's socket, Bun's
 * and Deno's connection info, Cloudflare's `CF-Connecting-IP` on Workers (set by Cloudflare's
 * edge, not by the client). A forwarded header (`X-Forwarded-For`) is never read: any client can
 * send one. Behind a proxy, pass `clientIp` to say which header the proxy sets.
 */
export function peerAddressOf(c: Context): string | undefined {
  const env = c.env as Record<string, unknown> | undefined
  try {
    const node = (env?.['server'] ?? env) as { incoming?: { socket?: { remoteAddress?: unknown } } }
    const socketAddress = node?.incoming?.socket?.remoteAddress
    if (typeof socketAddress === 'string') return socketAddress
    const bun = (env?.['server'] ?? env) as { requestIP?: (request: Request) => unknown }
    if (typeof bun?.requestIP === 'function') {
      const info = bun.requestIP(c.req.raw) as { address?: unknown } | null
      return typeof info?.address === 'string' ? info.address : undefined
    }
    const deno = env as { remoteAddr?: { hostname?: unknown } } | undefined
    if (typeof deno?.remoteAddr?.hostname === 'string') return deno.remoteAddr.hostname
  } catch {
    // An env of another shape: no address, rather than a failed request.
  }
  const navigatorAgent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent
  if (navigatorAgent === 'Cloudflare-Workers') return c.req.header('cf-connecting-ip')
  return undefined
}

/** The client details of one request, read when first asked for. */
export function clientInfoOf(c: Context, clientIp: ClientIpOf): () => ClientInfo {
  let info: ClientInfo | undefined
  return () => (info ??= Object.freeze({ userAgent: c.req.header('user-agent'), ip: clientIp(c) }))
}
