// The Worker the workerd tests run in (vitest.workerd.config.ts): its exports are the Durable
// Object classes its bindings name.
export {
  SessionDurableObject,
  SessionOwnerDirectory,
} from '../../../src/stores/cloudflare/index.js'

export default {
  fetch(): Response {
    return new Response('typed-sessions workerd test worker')
  },
}
