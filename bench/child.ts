import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StoreCalls } from './counting-store.js'
import type { ChildMessage, ParentMessage } from './protocol.js'

const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url))
const START_TIMEOUT_MS = 20_000

/** CPU time of a process, in microseconds. */
export interface CpuTime {
  user: number
  system: number
}

/** A running server child: its port, its CPU time and store calls on request, a way to stop it. */
export interface ServerChild {
  port: number
  cpuTime: () => Promise<CpuTime>
  /** The store calls the child made so far (null if its store is not counted). */
  storeCalls: () => Promise<StoreCalls | null>
  stop: () => Promise<void>
}

/** The variant's store server cannot be reached: reported n/a rather than as a failure. */
export class ServerUnavailable extends Error {
  override name = 'ServerUnavailable'
}

/**
 * Forks `bench/server.ts <variant>` in its own Node process (tsx as a loader, not as a wrapper
 * process, so the pid we measure is the server) and waits until it listens.
 * `profileDir` adds `--cpu-prof`, written there when the child exits. `tree` serves it from
 * another checkout (`--previous`), whose own tsconfig maps `typed-sessions` to its own build.
 */
export function startServer(
  variant: string,
  profileDir?: string,
  tree?: string
): Promise<ServerChild> {
  const execArgv = ['--import', 'tsx']
  if (profileDir !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', profileDir)
  const entry = tree === undefined ? SERVER_ENTRY : join(tree, 'bench', 'server.ts')
  const child = fork(entry, [variant], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(tree !== undefined && {
      cwd: tree,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(tree, 'bench', 'tsconfig.json') },
    }),
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not listen within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS
    )
    function fail(reason: string, unavailable = false): void {
      clearTimeout(timer)
      child.kill()
      const message = `server "${variant}" ${reason}`
      reject(unavailable ? new ServerUnavailable(message) : new Error(message))
    }
    child.once('exit', (code) => fail(`exited with code ${code} before listening`))
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'failed') {
        fail(`failed to start: ${message.message}`, message.unavailable)
      }
      if (message.type !== 'ready') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({
        port: message.port,
        cpuTime: () => queryCpu(child),
        storeCalls: () => queryStoreCalls(child),
        stop: () => stopChild(child),
      })
    })
  })
}

/** Sends `request` and resolves with the first reply of the same type. */
function ask<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T & ParentMessage['type']
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== type) return
      child.off('message', onMessage)
      resolve(message as Extract<ChildMessage, { type: T }>)
    }
    child.on('message', onMessage)
    if (!child.send({ type })) reject(new Error('the server child has no IPC channel'))
  })
}

async function queryCpu(child: ChildProcess): Promise<CpuTime> {
  const { user, system } = await ask(child, 'cpu')
  return { user, system }
}

async function queryStoreCalls(child: ChildProcess): Promise<StoreCalls | null> {
  return (await ask(child, 'store-calls')).calls
}

/** SIGINT rather than SIGKILL, so that `--cpu-prof` gets to write its profile. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGINT')
  })
}
