/**
 * Runs the Worker example locally in workerd through miniflare, with a local Durable Object
 * namespace: `npm run example:cloudflare`, then `curl -c jar -b jar localhost:8787` a few times.
 * (`wrangler dev` in this folder does the same where Node >= 22 runs wrangler.)
 */
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { fileURLToPath } from 'node:url'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const root = here('../../')

/** The Worker bundled into one ES module, `typed-sessions` taken from the built package. */
async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [here('./worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'import'],
    external: ['cloudflare:workers'],
    alias: {
      'typed-sessions': `${root}dist/index.js`,
      'typed-sessions/hono': `${root}dist/hono/index.js`,
      'typed-sessions/cloudflare': `${root}dist/cloudflare.js`,
    },
    write: false,
  })
  return result.outputFiles[0]!.text
}

/** The example on `port` in workerd; `dispose()` stops it. */
export async function startWorker(port: number): Promise<Miniflare> {
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      port,
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: '2026-07-01',
      durableObjects: { SESSIONS: 'SessionDurableObject' },
      bindings: {
        SESSION_SECRET:
          process.env.SESSION_SECRET ?? 'dev-only secret: set SESSION_SECRET in production',
        SECURE_COOKIES: 'false',
      },
    })
  )
  await miniflare.ready
  return miniflare
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 8787)
  const miniflare = await startWorker(port)
  console.log(`Cloudflare Worker example listening on http://localhost:${port}`)
  process.once('SIGINT', () => void miniflare.dispose())
  process.once('SIGTERM', () => void miniflare.dispose())
}
