import type {
  DurableObjectNamespaceBinding,
  DurableObjectStubBinding,
} from '../../src/stores/cloudflare/index.js'

/** One call a `DurableObjectStore` made: to the object named `name`, with `message`. */
export interface ObjectCall {
  name: string
  message: { op: string; [field: string]: unknown }
}

/**
 * `namespace`, with every call to its objects seen by `before` (awaited before the call goes
 * out: a gate can hold it there) and counted in `calls`: to count what a listing reads, and to
 * force the interleavings of the owner index's protocol.
 * @example const sessions = watchedNamespace(bindings.sessions, async (call) => { … })
 */
export function watchedNamespace(
  namespace: DurableObjectNamespaceBinding,
  before: (call: ObjectCall) => Promise<void> | void = () => undefined
): DurableObjectNamespaceBinding & { calls: ObjectCall[] } {
  const calls: ObjectCall[] = []
  const names = new Map<unknown, string>()
  return {
    calls,
    idFromName(name: string) {
      const id = namespace.idFromName(name)
      names.set(id, name)
      return id
    },
    get(id: unknown): DurableObjectStubBinding {
      const stub = namespace.get(id)
      const name = names.get(id) ?? ''
      return {
        async fetch(request: Request) {
          const body = await request.text()
          const call: ObjectCall = { name, message: JSON.parse(body) as ObjectCall['message'] }
          calls.push(call)
          await before(call)
          return stub.fetch(new Request(request.url, { method: 'POST', body }))
        },
      }
    },
  }
}
