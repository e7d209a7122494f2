import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { unstorableValue } from '../core/errors.js'
import {
  ATTRIBUTES,
  ATTRIBUTE_NAMES,
  OPTIONAL_ATTRIBUTES,
  type DynamoDbItem,
} from './dynamodb-item.js'

// DynamoDbStore's single-item requests: each is one round trip, atomic on its item.

/** What the requests need: the client, the table, and the store's error handling. */
export interface DynamoDbTable {
  readonly client: DynamoDBClient
  readonly name: string
  /** `attemptStore`, with a missing table as `CONFIG`. */
  attempt<T>(operation: string, run: () => Promise<T>): Promise<T>
}

/** A conditional write: whether its condition held, and the item it replaced (`ALL_OLD`). */
export interface Written {
  written: boolean
  old?: DynamoDbItem | undefined
}

/** A `ConditionExpression` over `#key`, `#version`, …, and the values it names besides `:now`. */
export interface Condition {
  expression: string
  values?: DynamoDbItem
}

/**
 * The `#name` placeholders of the record's attributes that `expression` uses, each exactly once
 * (DynamoDB refuses a name the expression does not use: `#owner` is not `#ownerNonce`).
 */
export function namesOf(expression: string): Record<string, string> {
  const names: Record<string, string> = {}
  for (const [placeholder] of expression.matchAll(/#\w+/g)) {
    const name = ATTRIBUTE_NAMES[placeholder]
    if (name !== undefined) names[placeholder] = name
  }
  return names
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException'
}

/** DynamoDB's answer to an item over its 400 KB limit: the caller's record, not an outage. */
export function isItemTooLarge(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationException' &&
    /item size/i.test(error.message)
  )
}

const tooLarge = (error: unknown) =>
  unstorableValue(
    'DynamoDB holds at most 400 KB per item, even compressed; keep less in the session or use another store.',
    error
  )

/** The request fields of `condition` (`:now` is the current time), merged with `names`. */
function conditional(condition: Condition | undefined, names: Record<string, string> = {}) {
  if (condition === undefined) return Object.keys(names).length > 0 ? { names } : {}
  const { expression, values = {} } = condition
  return {
    ConditionExpression: expression,
    names: { ...names, ...namesOf(expression) },
    values: { ...values, ':now': { N: String(Date.now()) } },
  }
}

/** Runs one write; a failed condition is `{ written: false }`, an item too large `INVALID_VALUE`. */
async function write(
  table: DynamoDbTable,
  operation: string,
  send: () => Promise<{ Attributes?: DynamoDbItem | undefined }>
): Promise<Written> {
  return table.attempt(operation, async () => {
    try {
      const reply = await send()
      return { written: true, old: reply.Attributes }
    } catch (error) {
      if (isConditionFailure(error)) return { written: false }
      if (isItemTooLarge(error)) throw tooLarge(error)
      throw error
    }
  })
}

/** One `PutItem` of `item`, conditioned when `condition` is given, returning the item it replaced. */
export function putRecord(
  table: DynamoDbTable,
  operation: string,
  item: DynamoDbItem,
  condition?: Condition
): Promise<Written> {
  const { ConditionExpression, names, values } = conditional(condition)
  return write(table, operation, () =>
    table.client.send(
      new PutItemCommand({
        TableName: table.name,
        Item: item,
        ReturnValues: 'ALL_OLD',
        ...(ConditionExpression === undefined
          ? {}
          : {
              ConditionExpression,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
      })
    )
  )
}

/**
 * One `UpdateItem` that writes `item` in place under `condition`: it sets every attribute of
 * `item` and removes the optional ones it lacks, except those in `keep` (left as stored: the
 * `ownerNonce` of a save that keeps its owner). Returns the item it replaced when `returnOld`.
 * It costs what a `PutItem` of the same item does.
 */
export function updateRecord(
  table: DynamoDbTable,
  item: DynamoDbItem,
  condition: Condition,
  { keep = [], returnOld = false }: { keep?: readonly string[]; returnOld?: boolean } = {}
): Promise<Written> {
  const names: Record<string, string> = {}
  const values: DynamoDbItem = {}
  const set: string[] = []
  const remove: string[] = []
  let n = 0
  for (const [name, value] of Object.entries(item)) {
    if (name === ATTRIBUTES.key) continue
    names[`#a${n}`] = name
    values[`:a${n}`] = value
    set.push(`#a${n} = :a${n}`)
    n++
  }
  for (const name of OPTIONAL_ATTRIBUTES) {
    if (name in item || keep.includes(name)) continue
    names[`#a${n}`] = name
    remove.push(`#a${n}`)
    n++
  }
  const expression = `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`
  const request = conditional(condition, names)
  return write(table, 'save', () =>
    table.client.send(
      new UpdateItemCommand({
        TableName: table.name,
        Key: { [ATTRIBUTES.key]: item[ATTRIBUTES.key]! },
        UpdateExpression: expression,
        ConditionExpression: request.ConditionExpression,
        ExpressionAttributeNames: request.names,
        ExpressionAttributeValues: { ...values, ...request.values },
        ReturnValues: returnOld ? 'ALL_OLD' : 'NONE',
      })
    )
  )
}

/** One `DeleteItem`, returning the item it deleted, if there was one. */
export async function deleteRecord(
  table: DynamoDbTable,
  key: string
): Promise<DynamoDbItem | undefined> {
  const reply = await table.attempt('delete', () =>
    table.client.send(
      new DeleteItemCommand({
        TableName: table.name,
        Key: { [ATTRIBUTES.key]: { S: key } },
        ReturnValues: 'ALL_OLD',
      })
    )
  )
  return reply.Attributes
}

/** One strongly consistent `GetItem` of the item at `key`, or of the attributes `projection` names. */
export async function getItem(
  table: DynamoDbTable,
  operation: string,
  key: string,
  projection?: readonly string[]
): Promise<DynamoDbItem | undefined> {
  const placeholders = projection?.map((name) => `#${name}`)
  const reply = await table.attempt(operation, () =>
    table.client.send(
      new GetItemCommand({
        TableName: table.name,
        Key: { [ATTRIBUTES.key]: { S: key } },
        ConsistentRead: true,
        ...(placeholders === undefined
          ? {}
          : {
              ProjectionExpression: placeholders.join(', '),
              ExpressionAttributeNames: namesOf(placeholders.join(' ')),
            }),
      })
    )
  )
  return reply.Item
}
