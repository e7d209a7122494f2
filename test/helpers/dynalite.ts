import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'

/** A dynalite server (an in-memory DynamoDB) on a free loopback port, and clients for it. */
export interface DynaliteServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string
  /** A client for this server with dummy credentials, closed by `stop`. */
  client(): DynamoDBClient
  /** The DynamoDB operation of every request the server received, in order (e.g. `GetItem`). */
  operations: string[]
  /** Closes the clients and the server. */
  stop(): Promise<void>
}

/** A client for `endpoint` with dummy credentials; `maxAttempts: 1` makes an outage fail at once. */
export function dynamoDbClient(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  })
}

/**
 * Starts dynalite in this process on a port the OS picks, with tables active at once.
 * @example const dynamo = await startDynalite(); afterAll(() => dynamo.stop())
 */
export async function startDynalite(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const endpoint = `http://127.0.0.1:${port}`
  const clients: DynamoDBClient[] = []
  const operations: string[] = []
  // Each request is one round trip; its header names the operation: DynamoDB_20120810.GetItem.
  server.on('request', (request: IncomingMessage) => {
    const target = request.headers['x-amz-target']
    if (typeof target === 'string') operations.push(target.slice(target.indexOf('.') + 1))
  })
  return {
    endpoint,
    operations,
    client() {
      const client = dynamoDbClient(endpoint)
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients) client.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close((error?: Error) => (error ? reject(error) : resolve()))
      )
    },
  }
}
