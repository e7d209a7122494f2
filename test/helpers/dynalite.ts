import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  DeleteItemCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb'
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

/** What a DynamoDB reply of one of the read operations carries, as far as counting goes. */
interface ReadReply {
  Item?: unknown
  Items?: unknown[]
  ScannedCount?: number
  Responses?: Record<string, unknown[]>
}

/**
 * Counts the items the requests of `client` read while `run` runs: what a Scan or Query
 * examined (`ScannedCount`, before any filter), the item of a GetItem, the items of a
 * BatchGetItem. A store's `readCost` for the owner-index conformance cases.
 * @example const reads = itemsRead(client); expect(await reads(() => store.listOwner(owner))).toBe(4)
 */
export function itemsRead(
  client: DynamoDBClient
): (run: () => Promise<unknown>) => Promise<number> {
  let count: number | undefined
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      if (count !== undefined) {
        const reply = result.output as ReadReply
        count += reply.ScannedCount ?? reply.Items?.length ?? 0
        if (reply.Item !== undefined) count += 1
        for (const items of Object.values(reply.Responses ?? {})) count += items.length
      }
      return result
    },
    { step: 'initialize', name: 'itemsRead' }
  )
  return async (run) => {
    count = 0
    try {
      await run()
      return count
    } finally {
      count = undefined
    }
  }
}

/** A request `holdRequests` parked: its command name (e.g. `UpdateItemCommand`) and input. */
export interface HeldRequest {
  command: string
  input: Record<string, unknown>
}

/**
 * Parks the next request of `client` that `matches` before it is sent, until `release` is
 * called: a race is staged at an exact step of a store's protocol instead of hoped for.
 * `reached` resolves once the request is parked. Later requests pass.
 * @example const held = holdRequests(client, (r) => r.command === 'PutItemCommand'); …; held.release()
 */
export function holdRequests(client: DynamoDBClient, matches: (request: HeldRequest) => boolean) {
  let parked: ((request: HeldRequest) => void) | undefined
  const reached = new Promise<HeldRequest>((resolve) => (parked = resolve))
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  const name = `hold-${crypto.randomUUID()}`
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = {
        command: String(context.commandName),
        input: args.input as HeldRequest['input'],
      }
      if (parked !== undefined && matches(request)) {
        const park = parked
        parked = undefined
        park(request)
        await released
      }
      return next(args)
    },
    { step: 'initialize', name }
  )
  return {
    reached,
    release() {
      release()
      client.middlewareStack.remove(name)
    },
  }
}

/**
 * What DynamoDB's TTL does some time after an item expired, which dynalite does not: deletes
 * the items of `TableName` whose `expiresAt` has passed. Returns how many it deleted.
 */
export async function deleteExpiredItems(
  client: DynamoDBClient,
  TableName: string
): Promise<number> {
  let deleted = 0
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined
  do {
    const page = await client.send(
      new ScanCommand({
        TableName,
        FilterExpression: 'expiresAt <= :now',
        ExpressionAttributeValues: { ':now': { N: String(Date.now()) } },
        ...(ExclusiveStartKey === undefined ? {} : { ExclusiveStartKey }),
      })
    )
    for (const item of page.Items ?? []) {
      await client.send(new DeleteItemCommand({ TableName, Key: { key: item['key']! } }))
      deleted++
    }
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey !== undefined)
  return deleted
}
