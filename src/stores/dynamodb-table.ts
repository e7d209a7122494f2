import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { SessionError, attemptStore } from '../core/errors.js'
import { ATTRIBUTES } from './dynamodb-item.js'
import { missingTable } from './missing-table.js'

// DynamoDbStore's table: how `createTable` makes it, and what a call on a missing one means.

/** Options of `DynamoDbStore.createTable`. */
export interface DynamoDbCreateTableOptions {
  /**
   * Enable DynamoDB's TTL on `ttlAttribute`. Turn it off for an emulator without
   * `UpdateTimeToLive` (dynalite).
   * @default true
   */
  timeToLive?: boolean
}

/**
 * Creates the session table `TableName` if absent (on-demand billing, partition key `key`),
 * waits until it is active, and enables TTL on `ttlAttribute` (unless `timeToLive` is false).
 */
export async function createSessionTable(
  client: DynamoDBClient,
  TableName: string,
  ttlAttribute: string,
  options: DynamoDbCreateTableOptions
): Promise<void> {
  await attemptStore('createTable', async () => {
    try {
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: ATTRIBUTES.key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: ATTRIBUTES.key, KeyType: 'HASH' }],
        })
      )
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error
    }
    for (let attempt = 0; attempt < 600; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName }))
      if (Table?.TableStatus === 'ACTIVE') break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (options.timeToLive === false) return
    try {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
        })
      )
    } catch (error) {
      if (!(error instanceof Error && error.name === 'UnknownOperationException')) throw error
      throw new SessionError(
        'UNSUPPORTED',
        `This DynamoDB endpoint cannot enable TTL (it does not know UpdateTimeToLive). The table ${TableName} was created; call createTable({ timeToLive: false }) on such an emulator, since load checks expiresAt itself.`,
        { cause: error }
      )
    }
  })
}

/** DynamoDB's answer to a call on a table that does not exist (or is still being created). */
export function isMissingTable(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException'
}

/** `CONFIG` for a call on the missing table `table`: how to create it. */
export function missingTableError(table: string, ttlAttribute: string, cause: unknown) {
  return missingTable(
    'DynamoDbStore',
    table,
    `Create it: \`await store.createTable()\` in development, or declare it in your infrastructure code (partition key \`key\` of type S, TTL on \`${ttlAttribute}\`).`,
    cause,
    { columns: false }
  )
}
