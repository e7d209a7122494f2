import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { unstorableValue } from '../core/errors.js'
import { parseExpiry } from '../core/expiry.js'
import type { JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'
import { encodeJson } from './stored-record.js'

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

/**
 * The text `bytes` inflate to, read a chunk at a time and given up (the stream cancelled) as
 * soon as it passes `maxBytes`: a small value that inflates to gigabytes (a gzip bomb) costs
 * no more memory than the session size limit.
 */
async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<string> {
  // The SDK hands a Uint8Array over an ArrayBuffer; TypeScript cannot know it is not shared.
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'))
    .getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text + decoder.decode()
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new RangeError(
        `the stored data inflates past ${maxBytes} bytes, more than a session may hold (maxSize)`
      )
    }
    text += decoder.decode(value, { stream: true })
  }
}

/** Whether `json` takes more than `maxBytes` bytes of UTF-8. */
function longerThan(json: string, maxBytes: number): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most records are decided without encoding.
  if (json.length * 3 <= maxBytes) return false
  return json.length > maxBytes || new TextEncoder().encode(json).length > maxBytes
}

const number = (value: number): AttributeValue => ({ N: String(value) })

/**
 * The item of a record; `ttlAttribute` holds `expiresAt` in epoch seconds for DynamoDB's TTL.
 * Data whose JSON takes more than `maxBytes` is refused (`INVALID_VALUE`): `recordOf` could not
 * read it back.
 */
export async function itemOf(
  record: SessionRecord,
  ttlAttribute: string,
  maxBytes: number
): Promise<DynamoDbItem> {
  const json = encodeJson(record.data)
  if (longerThan(json, maxBytes)) {
    throw unstorableValue(
      `the session data takes more than ${maxBytes} bytes of JSON, the DynamoDbStore maxSize; keep less in the session, or raise the store's maxSize together with the middleware's.`
    )
  }
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

/**
 * The record of an item, its compressed data inflated up to `maxBytes`; throws for an item it
 * cannot decode or that inflates past that (the caller classifies it).
 */
export async function recordOf(item: DynamoDbItem, maxBytes: number): Promise<SessionRecord> {
  const key = item[ATTRIBUTES.key]?.S
  if (key === undefined) throw new TypeError(`attribute ${ATTRIBUTES.key} is not a string`)
  const text = item[ATTRIBUTES.data]?.S
  const compressed = item[ATTRIBUTES.dataGzip]?.B
  const json = text ?? (compressed === undefined ? undefined : await gunzip(compressed, maxBytes))
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
