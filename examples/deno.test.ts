import { describe, it } from 'vitest'
import { countOnServedExample } from '../test/helpers/spawned-server.js'

// Spawns Deno on the example, which imports the built package (npm run test:node-dist).
describe('the Deno example', () => {
  it('serves the counter with sessions in Deno KV (`npm run example:deno`)', async () => {
    await countOnServedExample('npm', ['run', 'example:deno'])
  })
})
