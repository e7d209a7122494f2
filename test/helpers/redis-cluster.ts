import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Cluster, Redis } from 'ioredis'
import { startRedisServer, type RedisServerProcess } from './redis-server.js'

const run = promisify(execFile)

/** One node of a Redis Cluster, as ioredis's `Cluster` takes it. */
export interface ClusterNode {
  host: string
  port: number
}

/** A Redis Cluster the tests can reach, and how to release it. */
export interface RedisClusterUnderTest {
  nodes: ClusterNode[]
  /** Stops the servers this run started; a cluster given by `REDIS_CLUSTER_NODES` is left up. */
  stop(): Promise<void>
}

/** Polls every node's `CLUSTER INFO` until all say `cluster_state:ok` (10 s at most). */
async function untilClusterOk(nodes: ClusterNode[]): Promise<void> {
  const deadline = Date.now() + 10_000
  const clients = nodes.map(
    (node) => new Redis({ ...node, maxRetriesPerRequest: 1, retryStrategy: () => null })
  )
  try {
    for (const client of clients) client.on('error', () => {})
    while (Date.now() < deadline) {
      const infos = await Promise.all(clients.map((client) => client.cluster('INFO')))
      if (infos.every((info) => String(info).includes('cluster_state:ok'))) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error('the Redis Cluster did not reach cluster_state:ok within 10 s')
  } finally {
    for (const client of clients) client.disconnect()
  }
}

/**
 * Starts `size` private `redis-server --cluster-enabled yes` on spare ports (temp dirs, no
 * persistence), joins them with `redis-cli --cluster create` (no replicas, so every node is a
 * master holding a third of the slots), and waits for `cluster_state:ok`.
 * @example const cluster = await startRedisCluster(); afterAll(() => cluster.stop())
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterUnderTest> {
  const servers: RedisServerProcess[] = []
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()))
  }
  try {
    const starting = Array.from({ length: size }, () =>
      startRedisServer({
        clusterBus: true,
        // The config file is written by the server itself, relative to its --dir.
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      }).then((server) => void servers.push(server))
    )
    // allSettled: a server that did start is stopped below even when another one failed.
    const failed = (await Promise.allSettled(starting)).find((each) => each.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    const nodes = servers.map((server) => ({ host: '127.0.0.1', port: server.port }))
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `${node.host}:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 20_000 }
    )
    await untilClusterOk(nodes)
    return { nodes, stop }
  } catch (error) {
    await stop()
    const logs = servers.map((server) => join(server.dir, 'redis.log')).join(', ')
    throw new Error(`could not start a local Redis Cluster (logs: ${logs}): ${error}`, {
      cause: error,
    })
  }
}

/** `REDIS_CLUSTER_NODES` (`host:port,host:port,…`) parsed, or undefined when it is unset. */
export function clusterNodesFromEnv(
  env: NodeJS.ProcessEnv = process.env
): ClusterNode[] | undefined {
  const value = env.REDIS_CLUSTER_NODES?.trim()
  if (value === undefined || value === '') return undefined
  return value.split(',').map((entry) => {
    const [host = '', port = ''] = entry.trim().split(':')
    if (host === '' || !/^\d+$/.test(port)) {
      throw new Error(`REDIS_CLUSTER_NODES takes host:port,host:port,…; got "${entry}"`)
    }
    return { host, port: Number(port) }
  })
}

/**
 * The cluster for this test file: the one `REDIS_CLUSTER_NODES` names if set, else a private
 * one started now (needs `redis-server` and `redis-cli` >= 5 on the PATH).
 */
export async function redisClusterForTests(): Promise<RedisClusterUnderTest> {
  const given = clusterNodesFromEnv()
  if (given === undefined) return startRedisCluster()
  await untilClusterOk(given)
  return { nodes: given, stop: async () => {} }
}

/**
 * An ioredis `Cluster` client on `nodes`, connected. Addresses the nodes announce are used as
 * they are: they are loopback addresses reachable from the tests.
 */
export async function connectCluster(nodes: ClusterNode[]): Promise<Cluster> {
  const cluster = new Cluster(nodes, {
    redisOptions: { maxRetriesPerRequest: 2 },
    clusterRetryStrategy: (times) => (times > 5 ? null : 100 * times),
  })
  cluster.on('error', () => {}) // reported through the failing commands instead
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', resolve)
    cluster.once('end', () => reject(new Error('the Redis Cluster client could not connect')))
  })
  return cluster
}
