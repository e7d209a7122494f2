import type { $ZodIssue } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'
import { safeEncode } from './zod-encode.js'
import { SessionError } from '../core/errors.js'
import { eventIssues, reportInvalid, type SessionEvents } from '../core/events.js'
import { cloneJson, copyJson, setOwn, type JsonObject } from '../core/json.js'
import type { SessionRecord } from '../core/store.js'
import { describeIssues } from './issues.js'
import {
  RESERVED_DATA_KEY,
  decideInvalid,
  type InvalidDataInfo,
  type SessionDefinition,
} from './define-session.js'

/** What upgrading stored data to the current schema version came to. */
export type UpgradeResult =
  | { ok: true; data: JsonObject }
  | { ok: false; reason: 'migration-failed' | 'newer-version'; issues: $ZodIssue[] }

/**
 * Runs data stored under `fromVersion` through each migration step up to the definition's
 * current version, checking it against each schema on the way. Data from a newer version is
 * never migrated downward.
 */
export function upgradeData(
  definition: SessionDefinition,
  data: JsonObject,
  fromVersion: number
): UpgradeResult {
  const { versions } = definition
  if (fromVersion > versions.length) return { ok: false, reason: 'newer-version', issues: [] }
  if (!Number.isInteger(fromVersion) || fromVersion < 1) {
    return failed(`The record has no valid schema version (${fromVersion}).`)
  }
  // The engine's own key belongs to no schema (a strict one would refuse it): set aside.
  const reserved = Object.hasOwn(data, RESERVED_DATA_KEY) ? data[RESERVED_DATA_KEY] : undefined
  let value: unknown = data
  if (reserved !== undefined) {
    value = { ...data }
    delete (value as JsonObject)[RESERVED_DATA_KEY]
  }
  for (let version = fromVersion; version < versions.length; version++) {
    const parsed = safeParse(versions[version - 1]!.schema, value)
    if (!parsed.success) return failed(undefined, parsed.error.issues, version)
    try {
      value = (versions[version]!.up as (previous: unknown) => unknown)(parsed.data)
    } catch (error) {
      return failed(`The step to version ${version + 1} threw: ${(error as Error)?.message}`)
    }
  }
  const current = definition.schema
  const parsed = safeParse(current, value)
  if (!parsed.success) return failed(undefined, parsed.error.issues, versions.length)
  // Store the current schema's JSON form: codecs encoded, unknown keys stripped, defaults filled.
  let encoded: unknown
  try {
    const result = safeEncode(current, parsed.data)
    encoded = result.success ? result.data : value
  } catch {
    encoded = value // a one-way transform cannot encode; keep what the step returned
  }
  try {
    const upgraded = cloneJson(encoded, '(migrated record)') as JsonObject
    if (reserved !== undefined) setOwn(upgraded, RESERVED_DATA_KEY, copyJson(reserved))
    return { ok: true, data: upgraded }
  } catch (error) {
    return failed((error as Error).message)
  }
}

function failed(
  message?: string,
  issues: readonly $ZodIssue[] = [],
  version?: number
): UpgradeResult {
  const all: $ZodIssue[] = [...issues]
  if (message !== undefined) all.push({ code: 'custom', path: [], message, input: undefined })
  const prefix = version === undefined ? '' : `version ${version}: `
  return {
    ok: false,
    reason: 'migration-failed',
    issues: all.map((issue) => ({ ...issue, message: prefix + issue.message })),
  }
}

/**
 * The engine's hook for records of another schema version: the upgraded data, or `undefined`
 * when the policy drops the record (the request sees an empty session), or a thrown
 * `INVALID_STORED_DATA` when it says `'throw'`. Either is reported as an `invalid` event on `on`
 * (without an `invalid` handler, a dropped record is warned of once outside production).
 */
export function recordUpgrader(definition: SessionDefinition, on?: SessionEvents) {
  return (record: SessionRecord): JsonObject | undefined => {
    const result = upgradeData(definition, record.data, record.schemaVersion)
    if (result.ok) return result.data
    const info: InvalidDataInfo = {
      reason: result.reason,
      storedVersion: record.schemaVersion,
      currentVersion: definition.version,
      issues: result.issues,
    }
    const decision = decideInvalid(definition, info)
    reportInvalid(on, {
      type: 'invalid',
      recordKey: record.key,
      at: Date.now(),
      reason: result.reason === 'newer-version' ? 'newer-version' : 'migration',
      issues: eventIssues(result.issues),
      decision,
    })
    if (decision === 'drop') return undefined
    throw new SessionError(
      'INVALID_STORED_DATA',
      result.reason === 'newer-version'
        ? `A session was written under schema version ${record.schemaVersion}, newer than this app's ${definition.version} (a rollback?). Deploy the newer version, or use onInvalid: 'drop' to read such sessions as empty.`
        : `A session stored under schema version ${record.schemaVersion} cannot be migrated to version ${definition.version}: ${describeIssues(result.issues)}. Fix the migration step, or use onInvalid: 'drop' to start such sessions empty.`
    )
  }
}

/**
 * The engine's hook for a record the store cannot decode: the definition's `onInvalid` decides
 * (`'drop'` by default: the request sees no session, never a 5xx).
 */
export function corruptRecordPolicy(definition: SessionDefinition) {
  return (error: SessionError): 'drop' | 'throw' =>
    decideInvalid(definition, {
      reason: 'corrupt-record',
      storedVersion: 0,
      currentVersion: definition.version,
      issues: [{ code: 'custom', path: [], message: error.message, input: undefined }],
    })
}
