/**
 * A server child: `node --import tsx bench/server.ts <variant>`, forked by bench/run.ts with an
 * IPC channel. Serves the variant on 127.0.0.1 (a free port), reports the port, and answers CPU
 * usage and store-call queries so the runner can measure this process alone.
 */
import { createServer } from 'node:http'
import { serve } from '@hono/node-server'
import { ServiceUnavailable } from './apps/stores.js'
import type { ChildMessage, ParentMessage } from './protocol.js'
import { findVariant, type FetchApp } from './variants.js'

/** Bounds the clean-up at exit (dropping a table), so a hung server cannot keep us alive. */
const CLEAN_UP_TIMEOUT_MS = 10_000

/**
 * How long a store-calls query waits first, so that requests still in flight when the load
 * generator stopped have made their store calls. Requests are not counted here (that would add
 * a promise callback to every request of the counted variants only): the runner divides by the
 * requests the load generator completed.
 */
const SETTLE_MS = 20

let app: FetchApp | undefined

function send(message: ChildMessage): void {
  process.send?.(message)
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cpu') {
    // getrusage(RUSAGE_SELF): every thread of this process, GC and libuv included.
    const { user, system } = process.cpuUsage()
    send({ type: 'cpu', user, system })
  } else if (message.type === 'store-calls') {
    setTimeout(() => {
      const calls = app?.storeCalls?.()
      send({ type: 'store-calls', calls: calls === undefined ? null : { ...calls } })
    }, SETTLE_MS)
  }
})

let exiting = false
/** Removes what the variant created (tables, keys, files), then exits. */
async function exit(code: number): Promise<void> {
  if (exiting) return
  exiting = true
  const cleanUp = app?.cleanUp
  if (cleanUp !== undefined) {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLEAN_UP_TIMEOUT_MS).unref())
    try {
      await Promise.race([cleanUp(), timeout])
    } catch (error) {
      console.error(`clean-up of "${process.argv[2]}" failed: ${(error as Error).message}`)
    }
  }
  process.exit(code)
}

// The runner going away must not leave a server behind; exiting (rather than dying of the
// signal) lets `--cpu-prof` write its profile and the store variants drop their tables.
process.on('disconnect', () => void exit(0))
process.on('SIGINT', () => void exit(0))
process.on('SIGTERM', () => void exit(0))

try {
  app = await findVariant(process.argv[2] ?? '').build()
  if (app.listener !== undefined) {
    const server = createServer(app.listener)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 })
    })
  } else if (app.fetch !== undefined) {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      send({ type: 'ready', port: info.port })
    })
  } else {
    throw new Error('the variant built neither a fetch handler nor a node:http listener')
  }
} catch (error) {
  send({
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
    unavailable: error instanceof ServiceUnavailable,
  })
  process.exitCode = 1
  process.disconnect?.()
}
