import { readdir, readFile } from 'node:fs/promises'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type * as Otel from 'typed-sessions/otel'
import type { SessionEnv } from 'typed-sessions/hono'
import { TelemetryRecorder } from '../helpers/otel.js'
import { importBuilt, loadBuiltPackage, repositoryRoot } from './load-package.js'

// The built typed-sessions/otel on Node (npm run test:node-dist, after the build): the subpath
// the package exports, over the built core and middleware, and nothing else importing OpenTelemetry.
const pkg = await loadBuiltPackage()
const { sessionTelemetry } = await importBuilt<typeof Otel>('otel/index.js')

/** Every .js file of dist/, as paths relative to it. */
async function builtFiles(): Promise<string[]> {
  const entries = await readdir(new URL('dist/', repositoryRoot), { recursive: true })
  return entries.filter((path) => path.endsWith('.js'))
}

describe(`the built typed-sessions/otel on Node ${process.version}`, () => {
  it('is a subpath of the package, with its types', async () => {
    const manifest = JSON.parse(await readFile(new URL('package.json', repositoryRoot), 'utf8'))
    expect(manifest.exports['./otel']).toEqual({
      types: './dist/otel/index.d.ts',
      default: './dist/otel/index.js',
    })
    const files = await builtFiles()
    expect(files).toContain('otel/index.js')
    await expect(
      readFile(new URL('dist/otel/index.d.ts', repositoryRoot), 'utf8')
    ).resolves.toMatch(/sessionTelemetry/)
  })

  it('is the only built file that imports @opentelemetry/api: without it, nothing loads it', async () => {
    const importers: string[] = []
    for (const path of await builtFiles()) {
      const code = await readFile(new URL(`dist/${path}`, repositoryRoot), 'utf8')
      if (code.includes('@opentelemetry/')) importers.push(path)
    }
    expect(importers).toEqual(['otel/index.js'])
  })

  it('traces and counts the built middleware’s sessions', async () => {
    const recorder = new TelemetryRecorder()
    const telemetry = sessionTelemetry({
      tracer: recorder.tracerProvider.getTracer('typed-sessions'),
      meter: recorder.meterProvider.getMeter('typed-sessions'),
    })
    const { z } = await import('zod')
    const definition = pkg.core.defineSession(z.object({ counter: z.number().default(0) }))
    const app = new Hono<SessionEnv<typeof definition>>()
    app.use(
      pkg.hono.sessionMiddleware(definition, {
        secret: 'the built otel test: a secret of 32 characters or more',
        store: telemetry.instrument(new pkg.core.MemoryStore()),
        on: telemetry.on,
      })
    )
    app.get('/', async (c) => c.json(await c.var.session.update('counter', (n) => n + 1)))
    const first = await app.request('/')
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!
    expect(await (await app.request('/', { headers: { cookie } })).json()).toBe(2)
    expect(recorder.finished().map((span) => span.name)).toEqual([
      'create',
      'session save',
      'load',
      'save',
      'session save',
    ])
    expect(await recorder.count('typed_sessions.session.created')).toBe(1)
  })
})
