import { SessionError, attemptStore, unstorableValue } from '../core/errors.js'

// How RedisStore talks to a client of either driver: one raw command at a time, a command that
// died with its connection sent once more, and Lua scripts by their SHA-1.

/**
 * The part of an ioredis `Redis` or `Cluster` the store uses: raw commands through `call`.
 * Declared here rather than imported, so the store never loads the driver.
 */
export interface IoRedisClient {
  call(command: string, ...args: string[]): Promise<unknown>
  /** On an ioredis `Cluster`: its masters, which `scan` walks one after the other. */
  nodes?(role: 'master'): readonly IoRedisClient[]
}

/**
 * The part of a node-redis v5 client (`createClient()`) the store uses: raw commands through
 * `sendCommand`. For Redis Cluster, pass an ioredis `Cluster`.
 */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>
}

/** A client the application already has: ioredis (`Redis`, `Cluster`) or node-redis v5. */
export type RedisStoreClient = IoRedisClient | NodeRedisClient

/** One raw Redis command: its name and arguments, all strings, as both drivers accept them. */
export type Send = (args: string[]) => Promise<unknown>

/**
 * Whether a command failed because its connection died under it (killed, reset by a proxy or a
 * failover): node-redis rejects the commands in flight, and a command sent before it noticed
 * the closed socket, then reconnects. ioredis resends such commands by itself.
 */
function isDeadConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  return error.message === 'Socket closed unexpectedly' || code === 'ECONNRESET' || code === 'EPIPE'
}

/*
 * Every command the store sends is idempotent or safe to repeat, so one that failed on a dead
 * connection is sent once more: GET, a plain SET and the delete script repeat harmlessly; a
 * repeated SET NX or compare-and-set whose first attempt had committed answers false, and the
 * engine recognizes its own write by the record's token; an upsert repeated finds its own entry.
 */
function retryingOnce(send: Send): Send {
  return async (args) => {
    try {
      return await send(args)
    } catch (error) {
      if (!isDeadConnection(error)) throw error
      return send(args)
    }
  }
}

/** How to send a raw command through the client, whichever driver it is. */
export function senderOf(client: RedisStoreClient): Send {
  if (typeof (client as IoRedisClient).call === 'function') {
    const io = client as IoRedisClient
    return retryingOnce(([command = '', ...args]) => io.call(command, ...args))
  }
  if (typeof (client as NodeRedisClient).sendCommand === 'function') {
    const node = client as NodeRedisClient
    return retryingOnce((args) => node.sendCommand(args))
  }
  throw new SessionError(
    'CONFIG',
    'RedisStore takes an ioredis client (new Redis(url)) or a node-redis v5 client (createClient()), got neither.'
  )
}

/**
 * Runs a write, classifying the one refusal retrying cannot cure: a value longer than the
 * server's `proto-max-bulk-len` (512 MB by default) gets "ERR Protocol error: invalid bulk
 * length", after which Redis closes the connection.
 */
export async function attemptWrite<T>(operation: string, write: () => Promise<T>): Promise<T> {
  return attemptStore(operation, async () => {
    try {
      return await write()
    } catch (error) {
      if (error instanceof Error && error.message.includes('Protocol error: invalid bulk length')) {
        throw unstorableValue(
          "the record is longer than the Redis server's proto-max-bulk-len; store less in the session, or raise proto-max-bulk-len.",
          error
        )
      }
      throw error
    }
  })
}

/** A Lua script and its SHA-1, by which `EVALSHA` names it. */
export interface RedisScript {
  readonly source: string
  sha?: Promise<string>
}

/** The SHA-1 of a script, computed once with Web Crypto. */
function shaOf(script: RedisScript): Promise<string> {
  script.sha ??= crypto.subtle
    .digest('SHA-1', new TextEncoder().encode(script.source))
    .then((digest) =>
      Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
    )
  return script.sha
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/**
 * Runs a script by `EVALSHA`, and by `EVAL` when the server lacks it (a restart, `SCRIPT
 * FLUSH`, another node of a cluster): one round trip, two the first time. On a cluster the
 * first key routes it, so every key it touches must hash to that key's slot.
 */
export async function runScript(
  send: Send,
  script: RedisScript,
  keys: readonly string[],
  args: readonly string[]
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args]
  try {
    return await send(['EVALSHA', await shaOf(script), ...tail])
  } catch (error) {
    if (!isNoScript(error)) throw error
    return send(['EVAL', script.source, ...tail])
  }
}
