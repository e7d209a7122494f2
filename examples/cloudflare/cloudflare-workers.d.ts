// `env` of the Workers runtime module, typed loosely here: a real project gets it from
// @cloudflare/workers-types (or `wrangler types`), whose globals clash with this repository's DOM
// types. worker.ts narrows it to its own `Env`.
declare module 'cloudflare:workers' {
  export const env: Record<string, unknown>
}
