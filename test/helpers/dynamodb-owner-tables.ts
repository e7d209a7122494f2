import { DeleteTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { afterAll, vi } from 'vitest'
import type { SessionRecord } from '../../src/core/store.js'
import { OWNER_ENTRY_PREFIX, ownerItemKey } from '../../src/stores/dynamodb-owners.js'
import { DynamoDbStore } from '../../src/stores/dynamodb-store.js'
import { startDynalite } from './dynalite.js'

/** The keys of a listing's records, sorted. */
export const keysOf = async (listing: Promise<SessionRecord[]>): Promise<string[]> =>
  (await listing).map((record) => record.key).sort()

/**
 * For an owner-index test file: starts dynalite, and gives fresh DynamoDbStore tables read raw
 * through `client`, all dropped (and dynalite stopped) after the file. A store on a table may go
 * through a client of its own (`over`, from `dynamo.client()`), for staged races.
 * @example const { dynamo, client, freshStore } = await startOwnerTables()
 */
export async function startOwnerTables() {
  const dynamo = await startDynalite()
  vi.setConfig({ testTimeout: 30_000 })
  const client = dynamo.client()
  const tables: string[] = []
  afterAll(async () => {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }))
    await dynamo.stop()
  })
  async function freshStore(over: DynamoDBClient = client) {
    const tableName = `owners-${crypto.randomUUID()}`
    tables.push(tableName)
    const store = new DynamoDbStore(over, { tableName })
    await store.createTable({ timeToLive: false })
    const raw = async (key: string) =>
      (
        await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { key: { S: key } },
            ConsistentRead: true,
          })
        )
      ).Item
    /** The record key of each entry in the owner's item as it stands (`session:<key>#<nonce>`), sorted. */
    const entries = async (owner: string) =>
      Object.keys((await raw(ownerItemKey(owner))) ?? {})
        .filter((name) => name.startsWith(OWNER_ENTRY_PREFIX))
        .map((name) => name.slice(OWNER_ENTRY_PREFIX.length).split('#')[0]!)
        .sort()
    return { store, tableName, raw, entries }
  }
  return { dynamo, client, freshStore }
}
