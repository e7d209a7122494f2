import { Cluster, type Redis } from 'ioredis'
import type { IoRedisClient, NodeRedisClient } from '../../src/stores/redis-client.js'

/*
 * Raw views of RedisStore's owner index for its tests, read with the driver past the store:
 * every key of an owner's index on every node, and how many keys the server looked up while a
 * call ran (its `keyspace_hits` and `keyspace_misses`).
 */

/** The nodes to read raw from: the client itself, or a Cluster's masters. */
function nodesOf(client: Redis | Cluster): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client]
}

/** `text` with the glob characters of Redis `MATCH` escaped. */
function literalGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/**
 * Every key of `owner`'s index under `prefix` (its groups, their entries and, on a cluster, its
 * directory), each with its Redis type, from a `SCAN` of every node: not what the store lists,
 * but what the server holds.
 */
export async function ownerIndexKeys(
  client: Redis | Cluster,
  prefix: string,
  owner: string
): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for (const node of nodesOf(client)) {
    let cursor = '0'
    do {
      const pattern = `${literalGlob(`${prefix}owner:${owner}`)}*`
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      for (const key of keys) found.set(key, await node.type(key))
    } while (cursor !== '0')
  }
  for (const [key, type] of found) if (type === 'none') found.delete(key)
  return found
}

/**
 * The conformance hook `ownerIndexEntries`: the entries (one string key each) that the server
 * holds for `owner`. An expired entry is gone: Redis never returns a key past its expiry.
 */
export function redisOwnerIndexEntries(client: Redis | Cluster, prefix: () => string) {
  return async (owner: string): Promise<number> => {
    const keys = await ownerIndexKeys(client, prefix(), owner)
    return [...keys.values()].filter((type) => type === 'string').length
  }
}

/** A counter of the `INFO` fields that grow with what a server reads. */
async function readsSoFar(nodes: Redis[]): Promise<{ lookups: number; walks: number }> {
  let lookups = 0
  let walks = 0
  for (const node of nodes) {
    const info = await node.info('all')
    const field = (name: string) =>
      Number(new RegExp(`^${name}[:=](\\d+)`, 'm').exec(info)?.[1] ?? 0)
    lookups += field('keyspace_hits') + field('keyspace_misses')
    walks += field('cmdstat_scan:calls') + field('cmdstat_keys:calls')
  }
  return { lookups, walks }
}

/**
 * The conformance hook `readCost` on a server (or cluster) no other test uses: how many keys the
 * server looked up while `run` ran, inside scripts too, plus every key it holds if `run` walked
 * the keyspace (`SCAN`, `KEYS`).
 */
export function redisReadCost(client: () => Redis | Cluster) {
  return async (run: () => Promise<unknown>): Promise<number> => {
    const nodes = nodesOf(client())
    const before = await readsSoFar(nodes)
    await run()
    const after = await readsSoFar(nodes)
    let held = 0
    if (after.walks > before.walks) {
      for (const node of nodes) held += await node.dbsize()
    }
    return after.lookups - before.lookups + held
  }
}

/**
 * A client of either driver that records the commands the store sends through it (a script is
 * one), keeping a Cluster's `nodes` so that the store still sees a cluster. `before`, when
 * given, runs before each command is sent: a test holds one there with a gate.
 */
export function countingClient(
  client: Redis | Cluster | NodeRedisClient,
  before: (command: string[]) => Promise<void> = async () => {}
): { client: IoRedisClient | NodeRedisClient; sent: string[][] } {
  const sent: string[][] = []
  const record = async (command: string[]) => {
    sent.push(command)
    await before(command)
  }
  if ('call' in client) {
    const io = client as unknown as IoRedisClient
    const counting: IoRedisClient = {
      call: async (command, ...args) => (
        await record([command, ...args]),
        io.call(command, ...args)
      ),
    }
    if (client instanceof Cluster) counting.nodes = (role) => io.nodes!(role)
    return { client: counting, sent }
  }
  const node = client
  return {
    client: { sendCommand: async (args) => (await record(args), node.sendCommand(args)) },
    sent,
  }
}
