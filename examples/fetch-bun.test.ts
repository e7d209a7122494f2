import { describe, it } from 'vitest'
import { countOnServedExample } from '../test/helpers/spawned-server.js'

// Spawns Bun on the plain fetch example, which imports the built package (npm run test:node-dist).
describe('the plain fetch example on Bun', () => {
  it('is served by Bun as a default export with fetch (`bun examples/fetch.ts`)', async () => {
    await countOnServedExample('bun', ['examples/fetch.ts'])
  })
})
