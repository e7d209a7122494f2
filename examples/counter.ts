/**
 * The counter from the README on the embedded MemoryStore: `npm run example`, then open
 * http://localhost:3000 or run `curl -c jar -b jar localhost:3000` a few times.
 */
import { MemoryStore } from 'typed-sessions'
import { createCounterApp, serveIfMain } from './counter-app.js'

export const app = createCounterApp(new MemoryStore())

serveIfMain(import.meta.url, app, 'Counter')
