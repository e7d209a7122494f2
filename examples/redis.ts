/**
 * The counter on Redis: sessions survive restarts and are shared by every process using the
 * same Redis. `npm run example:redis` (REDIS_URL, default redis://127.0.0.1:6379), then run
 * `curl -c jar -b jar localhost:3000` a few times.
 */
import { Redis } from 'ioredis'
import { RedisStore } from 'typed-sessions/redis'
import { createCounterApp, serveIfMain } from './counter-app.js'

/** The application's own client: the store borrows it and never closes it. */
export const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')

/** The store, with the default key prefix `session:`; Redis expires the keys itself. */
export const store = new RedisStore(redis)

export const app = createCounterApp(store)

serveIfMain(import.meta.url, app, 'Counter on Redis')
