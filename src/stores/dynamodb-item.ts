import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'

/** One DynamoDB item, as the low-level client reads and writes it. */
export type DynamoDbItem = Record<string, AttributeValue>

/**
 * Data whose JSON is longer than this is stored gzip-compressed in `dataGzip` (binary) rather
 * than as text in `data`: DynamoDB refuses items over 400 KB and bills writes per KB, and
 * session JSON compresses well. Small sessions stay readable in the console.
 */
export const COMPRESS_ABOVE = 4096

/** The attribute names of an item, the partition key first. `#name` placeholders use them. */
export const ATTRIBUTES = {
  key: 'key',
  version: 'version',
  expiresAt: 'expiresAt',
  createdAt: 'createdAt',
  schemaVersion: 'schemaVersion',
  expiry: 'expiry',
  token: 'token',
  data: 'data',
  dataGzip: 'dataGzip',
} as const

/** `#key`, `#version`, …: every condition names attributes through these (KEY is reserved). */
export const ATTRIBUTE_NAMES: Record<string, string> = Object.fromEntries(
  Object.values(ATTRIBUTES).map((name) => [`#${name}`, name])
)

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  // The SDK hands a Uint8Array over an ArrayBuffer; TypeScript cannot know it is not shared.
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
  return new Response(stream).text()
}

const number = (value: number): AttributeValue => ({ N: String(value) })

/** The item of a record; `ttlAttribute` holds `expiresAt` in epoch seconds for DynamoDB's TTL. */
export async function itemOf(record: SessionRecord, ttlAttribute: string): Promise<DynamoDbItem> {
  const json = JSON.stringify(record.data)
  const item: DynamoDbItem = {
    [ATTRIBUTES.key]: { S: record.key },
    [ATTRIBUTES.version]: number(record.version),
    [ATTRIBUTES.expiresAt]: number(record.expiresAt),
    [ATTRIBUTES.createdAt]: number(record.createdAt),
    [ATTRIBUTES.schemaVersion]: number(record.schemaVersion),
    // DynamoDB's TTL reads epoch seconds; rounding up never deletes a record before it expires.
    [ttlAttribute]: number(Math.ceil(record.expiresAt / 1000)),
  }
  if (json.length > COMPRESS_ABOVE) item[ATTRIBUTES.dataGzip] = { B: await gzip(json) }
  else item[ATTRIBUTES.data] = { S: json }
  if (record.expiry !== undefined) item[ATTRIBUTES.expiry] = { S: JSON.stringify(record.expiry) }
  if (record.token !== undefined) item[ATTRIBUTES.token] = { S: record.token }
  return item
}

function numberIn(item: DynamoDbItem, name: string): number {
  const value = Number(item[name]?.N)
  if (item[name]?.N === undefined || !Number.isFinite(value)) {
    throw new TypeError(`attribute ${name} is not a number`)
  }
  return value
}

/** The record of an item; throws for an item it cannot decode (the caller classifies it). */
export async function recordOf(item: DynamoDbItem): Promise<SessionRecord> {
  const key = item[ATTRIBUTES.key]?.S
  if (key === undefined) throw new TypeError(`attribute ${ATTRIBUTES.key} is not a string`)
  const text = item[ATTRIBUTES.data]?.S
  const compressed = item[ATTRIBUTES.dataGzip]?.B
  const json = text ?? (compressed === undefined ? undefined : await gunzip(compressed))
  if (json === undefined) throw new TypeError('the item has neither data nor dataGzip')
  const data: unknown = JSON.parse(json)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError('data is not a JSON object')
  }
  const record: SessionRecord = {
    key,
    data: data as JsonObject,
    createdAt: numberIn(item, ATTRIBUTES.createdAt),
    expiresAt: numberIn(item, ATTRIBUTES.expiresAt),
    version: numberIn(item, ATTRIBUTES.version),
    schemaVersion: numberIn(item, ATTRIBUTES.schemaVersion),
  }
  const expiryText = item[ATTRIBUTES.expiry]?.S
  const expiry = expiryText === undefined ? undefined : parseExpiry(JSON.parse(expiryText))
  if (expiry !== undefined) record.expiry = expiry
  const token = item[ATTRIBUTES.token]?.S
  if (token !== undefined) record.token = token
  return record
}
