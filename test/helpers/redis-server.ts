import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/**
 * Private redis-server processes for tests that must not touch the shared server on 6379: a
 * `CLIENT PAUSE`, a cluster. Each runs on a spare port in 20000-40000 with its own temporary
 * directory, without persistence, and is stopped (and its directory removed) by `stop`.
 */
export interface RedisServerProcess {
  port: number
  url: string
  /** The server's working directory (its cluster config file lives there). */
  dir: string
  stop(): Promise<void>
}

/** Options of `startRedisServer`. */
export interface StartRedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. @default [] */
  args?: string[]
  /** Also keep `port + 10000` free: the cluster bus port. @default false */
  clusterBus?: boolean
}

const live = new Set<ChildProcess>()

// A test run that ends without its afterAll (a crash, a timeout) must not leave servers behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Whether a TCP port on 127.0.0.1 can be bound right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

/** A random port in 20000-40000 that is free now (with its bus port, if asked). */
async function sparePort(clusterBus: boolean): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if ((await isFree(port)) && (!clusterBus || (await isFree(port + 10_000)))) return port
  }
  throw new Error('found no free port in 20000-40000 for a private redis-server')
}

/** Resolves once the server answers PING, rejects if the process exits or 5 s pass. */
async function untilAnswering(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`)
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    probe.on('error', () => {})
    try {
      await probe.connect()
      if ((await probe.ping()) === 'PONG') return
    } catch {
      // not listening yet
    } finally {
      probe.disconnect()
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 5 s`)
}

/** Stops `child` (SIGTERM, then SIGKILL after 3 s) and resolves when it has exited. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
    await exited
    clearTimeout(timer)
  }
  live.delete(child)
}

/**
 * Starts a private `redis-server` on a spare port and waits until it answers. A port taken in
 * the meantime by someone else makes the server exit; it is retried on another port.
 * @example const server = await startRedisServer(); try { ... } finally { await server.stop() }
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {}
): Promise<RedisServerProcess> {
  const { args = [], clusterBus = false } = options
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await sparePort(clusterBus)
    const dir = await mkdtemp(join(tmpdir(), `typed-sessions-redis-${port}-`))
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        join(dir, 'redis.log'),
        ...args,
      ],
      { stdio: 'ignore' }
    )
    live.add(child)
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    try {
      await spawned
      await untilAnswering(port, child)
      const stop = async () => {
        await stopProcess(child)
        await rm(dir, { recursive: true, force: true })
      }
      return { port, url: `redis://127.0.0.1:${port}`, dir, stop }
    } catch (error) {
      lastError = error
      await stopProcess(child)
      await rm(dir, { recursive: true, force: true })
      // redis-server is not installed: another port will not help.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break
    }
  }
  throw new Error(`could not start a private redis-server: ${(lastError as Error).message}`, {
    cause: lastError,
  })
}
