/**
 * The peer address of the connection, as the runtime reports it beside the request: the Node
 * adapter's socket (`@hono/node-server` passes `{ incoming }`), Bun's `server.requestIP`, Deno's
 * `info.remoteAddr`, Cloudflare's `CF-Connecting-IP` on Workers (set by Cloudflare's edge, not
 * by the client). A forwarded header (`X-Forwarded-For`) is never read: any client can send one.
 * Behind a proxy, the app names the header its proxy sets instead (the `clientIp` option).
 *
 * `env` is what the runtime passes after the request: Hono's `c.env`, or the second argument of
 * a plain `fetch` handler.
 */
export function peerAddress(env: unknown, request: Request): string | undefined {
  const bindings = env as Record<string, unknown> | undefined
  try {
    const node = (bindings?.['server'] ?? bindings) as {
      incoming?: { socket?: { remoteAddress?: unknown } }
    }
    const socketAddress = node?.incoming?.socket?.remoteAddress
    if (typeof socketAddress === 'string') return socketAddress
    const bun = (bindings?.['server'] ?? bindings) as { requestIP?: (request: Request) => unknown }
    if (typeof bun?.requestIP === 'function') {
      const info = bun.requestIP(request) as { address?: unknown } | null
      return typeof info?.address === 'string' ? info.address : undefined
    }
    const deno = bindings as { remoteAddr?: { hostname?: unknown } } | undefined
    if (typeof deno?.remoteAddr?.hostname === 'string') return deno.remoteAddr.hostname
  } catch {
    // An env of another shape: no address, rather than a failed request.
  }
  const navigatorAgent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent
  if (navigatorAgent === 'Cloudflare-Workers') {
    return request.headers.get('cf-connecting-ip') ?? undefined
  }
  return undefined
}
