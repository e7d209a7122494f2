import { DeleteTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { OWNER_ENTRY_PREFIX, ownerItemKey } from '../../src/stores/dynamodb-owners.js'
import { DynamoDbStore } from '../../src/stores/dynamodb-store.js'

/**
 * Fresh DynamoDbStore tables for the owner-index tests, read raw through `client`, each dropped
 * by `dropAll`. A store on a table may go through a client of its own (`over`), for staged races.
 */
export function ownerTables(client: DynamoDBClient) {
  const tables: string[] = []
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
    /** The record keys of the owner's entries as they stand, one per entry, sorted. */
    const entries = async (owner: string) =>
      Object.keys((await raw(ownerItemKey(owner))) ?? {})
        .filter((name) => name.startsWith(OWNER_ENTRY_PREFIX))
        .map((name) => name.slice(OWNER_ENTRY_PREFIX.length))
        .sort()
    return { store, tableName, raw, entries }
  }
  return {
    freshStore,
    async dropAll() {
      for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName }))
    },
  }
}
