/**
 * A server child: `node --import tsx bench/server.ts <variant>`, forked by bench/run.ts with an
 * IPC channel. Serves the variant on 127.0.0.1 (a free port), reports the port, and answers CPU
 * usage queries so the runner can measure this process alone.
 */
import { serve } from '@hono/node-server'
import type { ChildMessage, ParentMessage } from './protocol.js'
import { findVariant } from './variants.js'

function send(message: ChildMessage): void {
  process.send?.(message)
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cpu') {
    // getrusage(RUSAGE_SELF): every thread of this process, GC and libuv included.
    const { user, system } = process.cpuUsage()
    send({ type: 'cpu', user, system })
  }
})
// The runner going away must not leave a server behind; exiting (rather than dying of the
// signal) lets `--cpu-prof` write its profile.
process.on('disconnect', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))

try {
  const app = await findVariant(process.argv[2] ?? '').build()
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    send({ type: 'ready', port: info.port })
  })
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) })
  process.exitCode = 1
  process.disconnect?.()
}
