// The exports of the `cloudflare:test` module these tests use, typed loosely: the plugin's own
// declarations pull in @cloudflare/workers-types, whose globals clash with the DOM lib the rest of
// the project type-checks against. Each test narrows the bindings it reads (test/helpers/workerd.ts).
declare module 'cloudflare:test' {
  export const env: Record<string, unknown>
  export function runDurableObjectAlarm(stub: unknown): Promise<boolean>
  export function runInDurableObject<T>(
    stub: unknown,
    callback: (instance: unknown, state: { storage: unknown }) => T | Promise<T>
  ): Promise<T>
  export function createExecutionContext(): unknown
}
