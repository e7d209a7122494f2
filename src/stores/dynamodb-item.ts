import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { corruptRecord, unstorableValue } from '../core/errors.js'
import type { SessionRecord } from '../core/store.js'
import { decodeRecord, encodeJson } from './stored-record.js'

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
  owner: 'owner',
  /** Which write bound the record to its owner: that write's owner entry carries it too. */
  ownerNonce: 'ownerNonce',
} as const

/** The attributes a record may lack: a save that writes an item in place removes those it lacks. */
export const OPTIONAL_ATTRIBUTES = [
  ATTRIBUTES.data,
  ATTRIBUTES.dataGzip,
  ATTRIBUTES.expiry,
  ATTRIBUTES.token,
  ATTRIBUTES.owner,
  ATTRIBUTES.ownerNonce,
] as const

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
 * The item of a record; `ttlAttribute` holds `expiresAt` in epoch seconds for DynamoDB's TTL,
 * `ownerNonce` the nonce of the write that binds it (see `dynamodb-owners.ts`). Data whose JSON
 * takes more than `maxBytes` is refused (`INVALID_VALUE`): `recordOf` could not read it back.
 */
export async function itemOf(
  record: SessionRecord,
  ttlAttribute: string,
  maxBytes: number,
  ownerNonce?: string
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
  if (record.owner !== undefined) item[ATTRIBUTES.owner] = { S: record.owner }
  if (ownerNonce !== undefined) item[ATTRIBUTES.ownerNonce] = { S: ownerNonce }
  return item
}

/**
 * The record of the item at `key`, its compressed data inflated up to `maxBytes`. An item it
 * cannot decode (a field of the wrong type, a number beyond 2^53, data that inflates past
 * `maxBytes`) throws `corruptRecord` (`INVALID_STORED_DATA`).
 */
export async function recordOf(
  key: string,
  item: DynamoDbItem,
  maxBytes: number
): Promise<SessionRecord> {
  const compressed = item[ATTRIBUTES.dataGzip]?.B
  let data: string | undefined = item[ATTRIBUTES.data]?.S
  if (data === undefined && compressed !== undefined) {
    try {
      data = await gunzip(compressed, maxBytes)
    } catch (cause) {
      throw corruptRecord(key, cause)
    }
  }
  return decodeRecord(key, {
    data,
    createdAt: item[ATTRIBUTES.createdAt]?.N,
    expiresAt: item[ATTRIBUTES.expiresAt]?.N,
    version: item[ATTRIBUTES.version]?.N,
    schemaVersion: item[ATTRIBUTES.schemaVersion]?.N,
    expiry: item[ATTRIBUTES.expiry]?.S,
    token: item[ATTRIBUTES.token]?.S,
    // An owner attribute that is not a string is damage, not "unbound".
    owner: item[ATTRIBUTES.owner]?.S ?? item[ATTRIBUTES.owner],
  })
}
