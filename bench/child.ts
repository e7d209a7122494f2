import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildMessage } from './protocol.js'

const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url))
const START_TIMEOUT_MS = 20_000

/** CPU time of a process, in microseconds. */
export interface CpuTime {
  user: number
  system: number
}

/** A running server child: its port, its CPU time on request, and a way to stop it. */
export interface ServerChild {
  port: number
  cpuTime: () => Promise<CpuTime>
  stop: () => Promise<void>
}

/**
 * Forks `bench/server.ts <variant>` in its own Node process (tsx as a loader, not as a wrapper
 * process, so the pid we measure is the server) and waits until it listens.
 * `profileDir` adds `--cpu-prof`, written there when the child exits.
 */
export function startServer(variant: string, profileDir?: string): Promise<ServerChild> {
  const execArgv = ['--import', 'tsx']
  if (profileDir !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', profileDir)
  const child = fork(SERVER_ENTRY, [variant], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not listen within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS
    )
    function fail(reason: string): void {
      clearTimeout(timer)
      child.kill()
      reject(new Error(`server "${variant}" ${reason}`))
    }
    child.once('exit', (code) => fail(`exited with code ${code} before listening`))
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'failed') fail(`failed to start: ${message.message}`)
      if (message.type !== 'ready') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({ port: message.port, cpuTime: () => queryCpu(child), stop: () => stopChild(child) })
    })
  })
}

function queryCpu(child: ChildProcess): Promise<CpuTime> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== 'cpu') return
      child.off('message', onMessage)
      resolve({ user: message.user, system: message.system })
    }
    child.on('message', onMessage)
    if (!child.send({ type: 'cpu' })) reject(new Error('the server child has no IPC channel'))
  })
}

/** SIGINT rather than SIGKILL, so that `--cpu-prof` gets to write its profile. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGINT')
  })
}
