import { describe, it } from 'vitest'
import { countOnServedExample } from '../test/helpers/spawned-server.js'

// Spawns Bun on the example, which imports the built package (npm run test:node-dist).
describe('the Bun example', () => {
  it('serves the counter with sessions in bun:sqlite (`npm run example:bun`)', async () => {
    await countOnServedExample('npm', ['run', 'example:bun'])
  })
})
