import { Hono } from 'hono'

/** The baseline: Hono with no middleware, the body a counter's first visit would get. */
export function buildBareApp(): Hono {
  const app = new Hono()
  app.get('/', (c) => c.text('Current count: 0'))
  return app
}

/**
 * Bare plus one middleware that only awaits `next()`: the dispatch turns async, which is a cost
 * every middleware pays before doing anything.
 */
export function buildEmptyMiddlewareApp(): Hono {
  const app = new Hono()
  app.use(async (_c, next) => {
    await next()
  })
  app.get('/', (c) => c.text('Current count: 0'))
  return app
}
